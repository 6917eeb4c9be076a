# bash completion for fairnicctl(8)                         -*- shell-script -*-
#
# Nothing about the grammar is written here: the commands, the keys of
# `vnic add`/`vnic set` and `uplink set`, which keys only `vnic add` takes
# and the fixed values of a key (on|off, codel|tail, auto, ...) are read
# from `fairnicctl help` and `fairnicctl help keys --markdown` (once per
# shell, and again when the fairnicctl binary changes), so they follow the
# installed program. vNIC and uplink names are asked of the daemon
# (`fairnicctl --json vnic show`, `uplink show`) when its socket, -s SOCK or
# $FAIRNIC_CTL or /run/fairnic/ctl.sock, is there.
#
# Words are taken from COMP_LINE rather than COMP_WORDS, which bash splits
# at every ':' of a MAC address.

# Read the grammar from BIN's help into _fairnicctl_* globals.
_fairnicctl_load()
{
	local bin=$1 id help keys line syn group sub table= key meta mean
	id=$(command -v -- "$bin" 2>/dev/null) || return 1
	id="$id $(stat -L -c %Y:%s -- "$id" 2>/dev/null)"
	[[ ${_fairnicctl_id-} == "$id" ]] && return 0
	help=$("$bin" help 2>/dev/null) || return 1
	keys=$("$bin" help keys --markdown 2>/dev/null) || return 1

	declare -gA _fairnicctl_subs=() _fairnicctl_syn=() _fairnicctl_vmeta=() _fairnicctl_umeta=()
	declare -g _fairnicctl_groups="" _fairnicctl_vkeys="" _fairnicctl_ukeys=""
	declare -g _fairnicctl_addonly="" _fairnicctl_backends="" _fairnicctl_own=""

	# Commands: rows "  WORD [SUB] SYNOPSIS  help" of the Commands: section
	# (continuation lines are indented further); and a line of its own
	# naming a command with a help of its own, "... (WORD --help)".
	local sect=
	while IFS= read -r line; do
		if [[ $line =~ ^[^\ ].*\(([a-z]+)\ --help\)$ ]]; then
			_fairnicctl_own+=" ${BASH_REMATCH[1]}"
		fi
		case $line in
		Commands:) sect=c; continue ;;
		"" | [A-Za-z]*) sect=; continue ;;
		esac
		[[ $sect == c && $line == "  "[a-z]* ]] || continue
		syn=${line:2}
		syn=${syn%%  *}                 # the help text follows two blanks
		read -r group sub _ <<<"$syn"
		[[ " $_fairnicctl_groups " == *" $group "* ]] || _fairnicctl_groups+=" $group"
		if [[ $sub =~ ^[a-z]+$ ]]; then
			_fairnicctl_subs[$group]+=" $sub"
		else
			sub=""
		fi
		_fairnicctl_syn["$group $sub"]=$syn
	done <<<"$help"
	for group in $_fairnicctl_own; do
		[[ " $_fairnicctl_groups " == *" $group "* ]] || _fairnicctl_groups+=" $group"
	done

	# Keys: the two markdown tables, "| `key` | `META` | meaning |" ("\|"
	# is a '|' inside a cell); the first is the vNIC keys' table.
	while IFS= read -r line; do
		case $line in
		"| key |"*) [[ -z $table ]] && table=v || table=u; continue ;;
		"| \`"*) ;;
		*) continue ;;
		esac
		line=${line//\\|/$'\x01'}
		IFS='|' read -r _ key meta mean _ <<<"$line"
		key=${key//[\` ]/}
		meta=${meta//[\` ]/}
		meta=${meta//$'\x01'/|}
		if [[ $table == v ]]; then
			_fairnicctl_vkeys+=" $key"
			_fairnicctl_vmeta[$key]=$meta
			[[ $mean == *"(add only)"* ]] && _fairnicctl_addonly+=" $key"
			[[ $mean == " backend"* ]] && _fairnicctl_backends+=" $key"
		else
			_fairnicctl_ukeys+=" $key"
			_fairnicctl_umeta[$key]=$meta
		fi
	done <<<"$keys"
	[[ -n $_fairnicctl_groups && -n $_fairnicctl_vkeys ]] || return 1
	_fairnicctl_id=$id
}

# Names of the daemon's vNICs (vnic) or uplinks (uplink), if it answers.
_fairnicctl_names()
{
	local bin=$1 sock=$2 what=$3 out
	[[ -S $sock ]] || return 0
	local -a cmd=("$bin" -s "$sock" --json "$what" show)
	if command -v timeout >/dev/null 2>&1; then
		cmd=(timeout 2 "${cmd[@]}")
	fi
	out=$("${cmd[@]}" 2>/dev/null) || return 0
	# names are [A-Za-z0-9_.-]: no escapes to undo
	grep -o '"name": *"[^"]*"' <<<"$out" | sed 's/.*"\([^"]*\)"$/\1/'
}

# The fixed words a value may be: the lower-case alternatives of META
# ("on|off" -> on off, "RATE|auto" -> auto, "ID|none" -> none).
_fairnicctl_values()
{
	local alt out="" alts
	IFS='|' read -ra alts <<<"$1"
	for alt in "${alts[@]}"; do
		[[ $alt =~ ^[a-z][a-z0-9-]*$ ]] && out+=" $alt"
	done
	printf '%s' "$out"
}

_fairnicctl()
{
	local line=${COMP_LINE:0:COMP_POINT}
	local -a w
	read -ra w <<<"$line"
	[[ -z $line || $line =~ [[:space:]]$ ]] && w+=("")
	local cur=${w[${#w[@]} - 1]} prev=""
	(( ${#w[@]} > 1 )) && prev=${w[${#w[@]} - 2]}
	local bin=${w[0]:-fairnicctl}
	local -a words=()               # what COMPREPLY is made of
	COMPREPLY=()

	command -v -- "$bin" >/dev/null 2>&1 || bin=fairnicctl
	if [[ $prev == -s || $prev == --socket ]]; then
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return 0
	fi
	_fairnicctl_load "$bin" || return 0

	# Options come before the command.
	local i=1 n=$(( ${#w[@]} - 1 )) sock=${FAIRNIC_CTL:-/run/fairnic/ctl.sock}
	while (( i < n )); do
		case ${w[i]} in
		-s | --socket) sock=${w[i + 1]}; (( i += 2 )); continue ;;
		--socket=*) sock=${w[i]#--socket=} ;;
		-*) ;;
		*) break ;;
		esac
		(( i++ ))
	done
	local -a args=("${w[@]:i:n-i}")    # the command's words before cur
	local na=${#args[@]}

	if (( na == 0 )); then
		if [[ $cur == -* ]]; then
			words=(-s --socket -j --json -h --help)
		else
			read -ra words <<<"$_fairnicctl_groups"
		fi
	else
		local group=${args[0]} sub="" syn
		local -a rest=("${args[@]:1}")
		if [[ -n ${rest[0]-} && " ${_fairnicctl_subs[$group]-} " == *" ${rest[0]} "* ]]; then
			sub=${rest[0]}
			rest=("${rest[@]:1}")
		fi
		syn=${_fairnicctl_syn["$group $sub"]-}
		local nr=${#rest[@]}
		if [[ " $_fairnicctl_own " == *" $group "* ]]; then
			# its options, from its own help's option rows
			[[ $cur == -* ]] && mapfile -t words < <("$bin" "$group" --help 2>/dev/null |
				grep -oE '^ +(-[a-zA-Z], )?--?[a-z][a-z-]*' | grep -oE -- '--?[a-z][a-z-]*')
		elif [[ $group == help ]]; then
			local t
			for t in keys counters --markdown; do
				[[ " ${rest[*]} " == *" $t "* ]] || words+=("$t")
			done
		elif (( na == 1 )) && [[ -z $sub ]]; then
			# the subcommand; a command that has a form without one
			# (stats [NAME]) takes a name here too
			read -ra words <<<"${_fairnicctl_subs[$group]-}"
			if [[ $syn == *NAME* ]]; then
				mapfile -t -O ${#words[@]} words < <(_fairnicctl_names "$bin" "$sock" vnic)
			fi
		elif [[ $syn =~ [\ \[]FILE ]] && (( nr == 0 )); then
			compopt -o filenames 2>/dev/null
			mapfile -t COMPREPLY < <(compgen -f -- "$cur")
			return 0
		elif [[ $syn == *NAME* ]] && (( nr == 0 )); then
			# the name: an existing one, but for vnic add
			if [[ $group == uplink ]]; then
				mapfile -t words < <(_fairnicctl_names "$bin" "$sock" uplink)
			elif [[ "$group $sub" != "vnic add" ]]; then
				mapfile -t words < <(_fairnicctl_names "$bin" "$sock" vnic)
			fi
		elif [[ $syn =~ NAME\]?\ . ]] && (( nr >= 1 )); then
			# a synopsis that goes on after the name: KEY VALUE pairs
			local -a kv=("${rest[@]:1}")
			local keys=$_fairnicctl_vkeys meta k used=" "
			[[ $group == uplink ]] && keys=$_fairnicctl_ukeys
			for (( k = 0; k < ${#kv[@]}; k += 2 )); do
				used+="${kv[k]} "
			done
			if (( ${#kv[@]} % 2 == 0 )); then
				# a key not given yet: "(add only)" keys only to
				# vnic add, and one backend at most
				local b backend=0
				for b in $_fairnicctl_backends; do
					[[ $used == *" $b "* ]] && backend=1
				done
				for k in $keys; do
					[[ $used == *" $k "* ]] && continue
					[[ $sub != add && " $_fairnicctl_addonly " == *" $k "* ]] && continue
					(( backend )) && [[ " $_fairnicctl_backends " == *" $k "* ]] && continue
					words+=("$k")
				done
			else
				k=${kv[${#kv[@]} - 1]}
				if [[ $group == uplink ]]; then
					meta=${_fairnicctl_umeta[$k]-}
				else
					meta=${_fairnicctl_vmeta[$k]-}
				fi
				case $meta in
				PATH)
					compopt -o filenames 2>/dev/null
					mapfile -t COMPREPLY < <(compgen -f -- "$cur")
					return 0 ;;
				GROUP)
					mapfile -t COMPREPLY < <(compgen -g -- "$cur")
					return 0 ;;
				NAME)
					[[ $k == uplink ]] &&
						mapfile -t words < <(_fairnicctl_names "$bin" "$sock" uplink) ;;
				*)
					read -ra words <<<"$(_fairnicctl_values "$meta")" ;;
				esac
			fi
		fi
	fi

	mapfile -t COMPREPLY < <(compgen -W "${words[*]}" -- "$cur")
	# bash replaces only the part of the word after its last ':'
	if [[ $cur == *:* && $COMP_WORDBREAKS == *:* ]]; then
		local pre=${cur%"${cur##*:}"} j
		for j in "${!COMPREPLY[@]}"; do
			COMPREPLY[j]=${COMPREPLY[j]#"$pre"}
		done
	fi
	return 0
}
complete -F _fairnicctl fairnicctl
