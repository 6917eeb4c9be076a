#!/usr/bin/env python3
"""Write the man pages fairnicd(8) and fairnicctl(8) from the programs' own help.

    gen_man.py fairnicd   BUILD/fairnicd   [--date DATE] [-o FILE]
    gen_man.py fairnicctl BUILD/fairnicctl [--date DATE] [-o FILE]

Every option, command, key, value and counter on the pages comes from the
built binaries: `fairnicd --help`; `fairnicctl help`, `help keys --markdown`
and `help counters --markdown` (src/ctl/fn_cmd.c builds those from the same
tables the parser uses), and `fairnicctl WORD --help` for a command that
`help` points to with "(WORD --help)" (top). So the pages cannot drift from the programs; the
only text written here is the prose around those lists (NAME, DESCRIPTION,
EXIT STATUS, FILES, EXAMPLES, SEE ALSO). The output is man(7) troff.

Standard library only. Fails (exit 1, one line on stderr) when the help text
does not have the shape this script reads, rather than writing a page with
a section missing.
"""
import argparse
import re
import subprocess
import sys


class HelpFormatError(Exception):
    pass


# ------------------------------------------------------------------ troff

def esc(text):
    """Plain text -> troff text: backslashes, ASCII minus signs (so options
    can be searched for and pasted), ASCII quotes."""
    return (text.replace("\\", "\\e")
            .replace("-", "\\-")
            .replace("'", "\\(aq")
            .replace("`", "\\(ga"))


def line(text):
    """A text line: one starting with '.' or "'" would be a request."""
    return "\\&" + text if text[:1] in (".", "'") else text


_TOKEN = re.compile(r"[A-Z][A-Z0-9_]*(?![a-z0-9])|--?[a-z0-9][a-z0-9-]*|[a-z][a-z0-9-]*|.", re.S)


def syntax(text):
    """A synopsis: literal words bold, UPPER-CASE placeholders italic,
    punctuation ([ ] ( ) | ... = ,) roman."""
    out = []
    for m in _TOKEN.finditer(text):
        tok = m.group(0)
        if re.fullmatch(r"[A-Z][A-Z0-9_]*", tok):
            out.append("\\fI" + esc(tok) + "\\fR")
        elif re.fullmatch(r"--?[a-z0-9][a-z0-9-]*|[a-z][a-z0-9-]*", tok):
            out.append("\\fB" + esc(tok) + "\\fR")
        else:
            out.append(esc(tok))
    return "".join(out)


def inline_md(text):
    """Markdown cell text: `code` bold, the rest plain."""
    parts = re.split(r"`([^`]*)`", text)
    return "".join("\\fB" + esc(p) + "\\fR" if i % 2 else esc(p)
                   for i, p in enumerate(parts))


def tp(tag, body):
    """A tagged paragraph; tag and body are troff already."""
    return [".TP", line(tag), line(body)]


# ---------------------------------------------------------- help parsing

def run(argv):
    r = subprocess.run(argv, capture_output=True, text=True)
    if r.returncode != 0:
        raise HelpFormatError(f"{' '.join(argv)}: exit {r.returncode}: {r.stderr.strip()}")
    return r.stdout


def blocks(text):
    """Help text -> [(title, [lines])] in order: a 'Title:' line starts a
    titled block of the indented lines under it; any other unindented line
    is a block of its own with title None. Blank lines end nothing."""
    out = []
    for ln in text.splitlines():
        if not ln.strip():
            continue
        if not ln[0].isspace():
            if ln.rstrip().endswith(":"):
                out.append((ln.rstrip()[:-1], []))
            else:
                out.append((None, [ln.strip()]))
        elif out and out[-1][0] is not None:
            out[-1][1].append(ln)
        else:
            raise HelpFormatError(f"indented line outside a section: {ln!r}")
    return out


def rows(lines, single_space=False):
    """Two-column help rows, "  LEFT   help..." with the help wrapped under
    itself, or LEFT alone on its line when too wide -> [(left, help)].

    The help column is where the first row with a gap of two blanks has its
    help; a line indented that far or more continues the row above it.
    LEFT ends two blanks before that column (fn_cmd.c's fn_text_row()
    always leaves two); fairnicd's hand-written --help may leave one
    (single_space)."""
    col = None
    for ln in lines:
        m = re.match(r" +\S.*?\S( {2,})(?=\S)", ln)
        if m:
            col = m.end()
            break
    if col is None:
        raise HelpFormatError(f"no help column in {lines[:1]!r}")
    out = []
    for ln in lines:
        indent = len(ln) - len(ln.lstrip())
        if indent >= col:
            if not out:
                raise HelpFormatError(f"continuation before any row: {ln!r}")
            left, hlp = out[-1]
            out[-1] = (left, (hlp + " " + ln.strip()).strip())
            continue
        gap = ln[col - 1:col] == " " and ln[col:col + 1] not in ("", " ") and \
            (single_space or ln[col - 2:col - 1] == " ")
        if gap and ln[:col].strip():
            out.append((ln[:col].strip(), ln[col:].strip()))
        else:
            out.append((ln.strip(), ""))
    for left, hlp in out:
        if not hlp:
            raise HelpFormatError(f"row without help text: {left!r}")
    return out


def md_tables(text):
    """Markdown text -> [(title, [header cells], [[cells]])], the title being
    the last plain line before the table."""
    tables, title, cur = [], "", None
    for ln in text.splitlines():
        if ln.startswith("|"):
            cells = [c.strip().replace("\\|", "|")
                     for c in re.split(r"(?<!\\)\|", ln.strip())[1:-1]]
            if cur is None:
                cur = (title, cells, [])
                tables.append(cur)
            elif not all(re.fullmatch(r":?-+:?", c) for c in cells):
                cur[2].append(cells)
        else:
            cur = None
            if ln.strip():
                title = ln.strip().rstrip(":")
    for t, head, body in tables:
        if not body or any(len(r) != len(head) for r in body):
            raise HelpFormatError(f"table {t!r}: no rows, or rows of another width")
    return tables


def code(cell):
    m = re.fullmatch(r"`([^`]*)`", cell)
    if not m:
        raise HelpFormatError(f"expected a `code` cell, got {cell!r}")
    return m.group(1)


# ------------------------------------------------------------------ pages

def header(name, date, description):
    th = f'.TH {name.upper()} 8 "{date}" "fairnic" "System Administration"'
    return [f'.\\" Generated by scripts/gen_man.py from {name}\'s own help: do not edit.',
            th, ".nh", ".ad l", ".SH NAME", f"{name} \\- {esc(description)}"]


def page_fairnicd(binary, date):
    help_text = run([binary, "--help"])
    lines = help_text.splitlines()
    m = re.fullmatch(r"usage: fairnicd (.*)", lines[0]) if lines else None
    if not m:
        raise HelpFormatError("fairnicd --help: no 'usage: fairnicd ...' first line")
    opt_lines = [ln for ln in lines[1:] if ln.startswith(" ")]
    tail = [ln for ln in lines[1:] if ln.strip() and not ln.startswith(" ")]
    opts = rows(opt_lines, single_space=True)

    out = header("fairnicd", date, "the fairnic data plane: virtual NICs for VMs on DPDK")
    out += [".SH SYNOPSIS", "\\fBfairnicd\\fR " + syntax(m.group(1))]
    out += [".SH DESCRIPTION",
            esc("fairnicd gives every VM its own virtual NIC (vNIC): a vhost-user "
                "socket for a QEMU, libvirt or Cloud Hypervisor guest, or a tap "
                "interface, behind one or more uplinks (any DPDK port: a PCI NIC, "
                "AF_XDP or AF_PACKET on a kernel interface, ...). It demultiplexes "
                "the uplinks' traffic by MAC address at the earliest point, enforces "
                "each vNIC's receive and transmit limits, guarantees and weights "
                "there, and drops frames a guest sends as anybody but itself."),
            ".PP",
            esc("It runs in the foreground and logs to standard error. vNICs are "
                "made and changed at run time with fairnicctl(8) over the control "
                "socket, or at start from a --config file: one fairnicctl command "
                "per line, without the program name; '#' starts a comment; any error "
                "stops start-up with FILE:LINE: message. SIGINT or SIGTERM stops it "
                "cleanly: guests see their device go away, tap interfaces are "
                "removed, sockets are unlinked."),
            ".SH OPTIONS"]
    for left, hlp in opts:
        out += tp(syntax(left), esc(hlp))
    if tail:
        out += [".PP"] + [line(esc(t)) for t in tail]
    out += [".SH FILES",
            ".TP", "\\fI/run/fairnic/ctl.sock\\fR",
            esc("The default control socket; ctl.sock.lock beside it holds the "
                "running daemon's PID (one fairnicd per socket)."),
            ".TP", "\\fI/etc/fairnic/fairnic.conf\\fR",
            esc("The --config file of fairnic.service."),
            ".TP", "\\fI/etc/default/fairnic\\fR",
            esc("fairnic.service's options for fairnicd (FAIRNICD_OPTS) and the "
                "hugepages it reserves first (FAIRNIC_HUGEPAGES)."),
            ".TP", "\\fI/var/lib/fairnic/state.conf\\fR",
            esc("The --state file of fairnic.service."),
            ".SH SEE ALSO",
            "\\fBfairnicctl\\fR(8), \\fBsystemctl\\fR(1), \\fBsystemd.exec\\fR(5)"]
    return out


def sub_help(binary, word, label):
    """`fairnicctl WORD --help` (its own usage, paragraphs, option rows and
    notes) as a section named LABEL."""
    text = run([binary, word, "--help"])
    out = [".SH " + esc(label.upper())]
    para, opts = [], []

    def flush():
        if para:
            out.extend([".PP", line(esc(" ".join(para)))])
            para.clear()

    for ln in text.splitlines():
        m = re.fullmatch(r"Usage: fairnicctl (.*)", ln)
        if m:
            out.append("\\fBfairnicctl\\fR " + syntax(m.group(1)))
        elif ln.startswith(" "):
            flush()
            opts.append(ln)
        elif not ln.strip():
            flush()
            if opts:
                for left, hlp in rows(opts):
                    out.extend(tp(syntax(left), esc(hlp)))
                opts.clear()
        else:
            para.append(ln.strip())
    flush()
    if opts:
        for left, hlp in rows(opts):
            out.extend(tp(syntax(left), esc(hlp)))
    return out


def page_fairnicctl(binary, date):
    usage = run([binary, "help"])
    keys_md = run([binary, "help", "keys", "--markdown"])
    counters_md = run([binary, "help", "counters", "--markdown"])
    blks = blocks(usage)
    m = re.fullmatch(r"Usage: fairnicctl (.*)", blks[0][1][0]) \
        if blks and blks[0][0] is None else None
    titled = {t: ls for t, ls in blks if t is not None}
    values = next((t for t in titled if t.startswith("Values")), None)
    if not m or "Options" not in titled or "Commands" not in titled or values is None:
        raise HelpFormatError("fairnicctl help: expected Usage:, Options:, Commands: "
                              "and Values sections")
    keys = md_tables(keys_md)
    counters = md_tables(counters_md)
    if len(keys) != 2:
        raise HelpFormatError(f"help keys --markdown: {len(keys)} tables, expected 2")
    # Lines of their own: "Label: WORD ... (WORD --help)" points at a
    # command with its own help, which gets a section; others are prose.
    notes, subs = [], []
    for t, ls in blks[1:]:
        if t is not None:
            continue
        sm = re.fullmatch(r"(?:([A-Z][^:]*): )?(.*)\((\w+) --help\)", ls[0])
        if sm:
            subs.append((sm.group(3), sm.group(1) or sm.group(3)))
        else:
            notes.append(ls[0])
    # Titled blocks the tables below do not already cover.
    known = {"Options", "Commands", values} | {t for t in titled if t.startswith("Keys of")}
    other = [t for t in titled if t not in known]

    out = header("fairnicctl", date, "control fairnicd: vNICs, uplinks, limits and counters")
    out += [".SH SYNOPSIS", "\\fBfairnicctl\\fR " + syntax(m.group(1))]
    for word, _ in subs:
        out += [".br", "\\fBfairnicctl\\fR " + syntax(f"[-s SOCK] {word} [OPTIONS]")]
    out += [".SH DESCRIPTION",
            esc("fairnicctl sends one command to fairnicd(8) over its control socket "
                "and prints the answer. The command is first checked with the "
                "daemon's own grammar, so a mistake is reported without a daemon "
                "and nothing is sent. A refused command changes nothing. help needs "
                "no daemon. The same commands, without the program name, make up "
                "fairnicd's --config files.")]
    for n in notes:
        out += [".PP", line(esc(n))]
    out += [".SH OPTIONS"]
    for left, hlp in rows(titled["Options"]):
        out += tp(syntax(left), esc(hlp))
    out += [".SH COMMANDS"]
    for left, hlp in rows(titled["Commands"]):
        out += tp(syntax(left), esc(hlp))
    for word, label in subs:
        out += sub_help(binary, word, label)
    for title in other:
        out += [".SH " + esc(title.upper())]
        for left, hlp in rows(titled[title]):
            out += tp(syntax(left), esc(hlp))
    for (title, head, body), name in zip(keys, ("VNIC KEYS", "UPLINK KEYS")):
        if [h.lower() for h in head] != ["key", "value", "meaning"]:
            raise HelpFormatError(f"keys table {title!r}: columns {head}")
        out += [".SH " + name, line(inline_md(title) + ":")]
        for key, meta, meaning in body:
            out += tp("\\fB" + esc(code(key)) + "\\fR " + syntax(code(meta)),
                      esc(meaning))
    out += [".SH VALUES", line(esc(values) + ":")]
    for left, hlp in rows(titled[values]):
        out += tp(syntax(left), esc(hlp))
    out += [".SH COUNTERS",
            esc("What stats shows. Every frame fairnic handles lands in exactly one "
                "counter.")]
    for title, head, body in counters:
        if len(head) != 2:
            raise HelpFormatError(f"counters table {title!r}: columns {head}")
        out += [".SS " + esc(title).replace('"', "\\(dq")]
        for name, meaning in body:
            out += tp("\\fB" + esc(code(name)) + "\\fR", esc(meaning))
    out += [".SH EXIT STATUS",
            ".TP", "0", esc("The command was carried out."),
            ".TP", "1", esc("The command was refused, by fairnicctl or by the daemon: "
                            "one line on standard error says why."),
            ".TP", "2", esc("The daemon could not be reached, refused the connection "
                            "or answered nonsense."),
            ".SH ENVIRONMENT",
            ".TP", "\\fBFAIRNIC_CTL\\fR",
            esc("The control socket, when -s is not given."),
            ".SH FILES",
            ".TP", "\\fI/run/fairnic/ctl.sock\\fR",
            esc("The default control socket (mode 0600, or 0660 for fairnicd's "
                "--ctl-group)."),
            ".SH EXAMPLES"]
    for what, cmd in EXAMPLES:
        out += [".PP", esc(what), ".PP", ".RS", ".nf"]
        out += [line("\\fB" + esc(ln) + "\\fR") for ln in cmd]
        out += [".fi", ".RE"]
    out += [".SH SEE ALSO", "\\fBfairnicd\\fR(8), \\fBtc\\fR(8)"]
    return out


# Each is one command (continued with a trailing backslash to fit in 80
# columns); all are
# checked against the grammar by tests/integration/test_install.py.
EXAMPLES = [
    ("A guest on vhost-user, at most 1 Gbit/s towards it:",
     ["fairnicctl vnic add vm1 mac 52:54:00:12:34:56 \\",
      "    vhost-user /run/fairnic/vm1.sock rx-rate 1gbit"]),
    ("Hold it at 24000 packets/s towards it and 500 Mbit/s from it, at once:",
     ["fairnicctl vnic set vm1 rx-pps 24000 tx-rate 500mbit"]),
    ("A network namespace on a tap interface, allowed one IPv4 address:",
     ["fairnicctl vnic add c1 mac 52:54:00:00:00:07 tap fnc1 ip 192.0.2.7"]),
    ("The uplink's capacity towards the wire, shared by the guarantees:",
     ["fairnicctl uplink set up0 tx-rate 10gbit"]),
    ("One vNIC's counters, as JSON:",
     ["fairnicctl --json stats vm1"]),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("page", choices=["fairnicd", "fairnicctl"])
    ap.add_argument("binary")
    ap.add_argument("--date", default="")
    ap.add_argument("-o", "--output")
    a = ap.parse_args()
    try:
        lines = (page_fairnicd if a.page == "fairnicd" else page_fairnicctl)(a.binary, a.date)
    except (HelpFormatError, OSError) as e:
        print(f"gen_man.py: {a.page}: {e}", file=sys.stderr)
        return 1
    text = "\n".join(lines) + "\n"
    if a.output:
        with open(a.output, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
