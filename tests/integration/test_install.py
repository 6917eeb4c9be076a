"""`make install` and what it installs (issue 10): the files and their
modes, PREFIX/DESTDIR/SYSTEMDUNITDIR, configuration that is never
overwritten, `make uninstall`; fairnic.service through systemd-analyze
(verify, and its security exposure); the hugepages helper; the man pages
generated from the programs' help (rendered without a warning, listing
every option, command, key and counter the help lists, examples that
parse); the example configuration run by the real daemon; the bash
completion, in a function call and in an interactive shell.

Everything is installed from FAIRNIC_TOOLS_BUILD (default build/) into
temporary DESTDIRs: nothing is installed on the machine itself."""
import os
import re
import shutil
import subprocess
import uuid

import pytest

from fairnic import ROOT, Daemon, wait_for

B = os.environ.get("FAIRNIC_TOOLS_BUILD", "build")

# What `make install PREFIX=/usr` puts where (Debian 12: units in
# /lib/systemd/system), with its mode.
EXPECTED = {
    "usr/sbin/fairnicd": 0o755,
    "usr/bin/fairnicctl": 0o755,
    "usr/libexec/fairnic/fairnic-hugepages": 0o755,
    "usr/sbin/fairnic-libvirt": 0o755,
    "usr/libexec/fairnic/libvirt-hook-qemu": 0o755,
    "lib/systemd/system/fairnic.service": 0o644,
    "etc/fairnic/fairnic.conf": 0o644,
    "etc/default/fairnic": 0o644,
    "usr/share/man/man8/fairnicd.8": 0o644,
    "usr/share/man/man8/fairnicctl.8": 0o644,
    "usr/share/bash-completion/completions/fairnicctl": 0o644,
}
UNIT = "lib/systemd/system/fairnic.service"
MAN8 = "usr/share/man/man8"
COMPLETION = "usr/share/bash-completion/completions/fairnicctl"


def make(*args, check=True):
    r = subprocess.run(["make", "--no-print-directory", "-C", ROOT, f"B={B}", *args],
                       capture_output=True, text=True)
    if check:
        assert r.returncode == 0, f"make {' '.join(args)}:\n{r.stdout}\n{r.stderr}"
    return r


def install(dest, *args):
    return make("install", f"DESTDIR={dest}", *args)


def files_under(root):
    out = set()
    for d, _, names in os.walk(root):
        for n in names:
            out.add(os.path.relpath(os.path.join(d, n), root))
    return out


@pytest.fixture(scope="module")
def dest(tmp_path_factory):
    """One `make install DESTDIR=... PREFIX=/usr`, for the tests that only
    read what it installed."""
    d = tmp_path_factory.mktemp("destdir")
    install(d, "PREFIX=/usr")
    return d


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, **kw)


# ------------------------------------------------------------- install

def test_install_puts_every_file_in_place(dest):
    assert files_under(dest) == set(EXPECTED)
    for rel, mode in EXPECTED.items():
        st = os.stat(dest / rel)
        assert oct(st.st_mode & 0o7777) == oct(mode), rel
        if os.geteuid() == 0:
            assert (st.st_uid, st.st_gid) == (0, 0), rel
    for d, dirs, _ in os.walk(dest):
        for n in dirs:
            assert os.stat(os.path.join(d, n)).st_mode & 0o7777 == 0o755, os.path.join(d, n)
    # the programs are the build's and run from where they are installed
    for rel, built in (("usr/sbin/fairnicd", "fairnicd"), ("usr/bin/fairnicctl", "fairnicctl")):
        with open(dest / rel, "rb") as a, open(os.path.join(ROOT, B, built), "rb") as b:
            assert a.read() == b.read(), rel
    assert run([str(dest / "usr/sbin/fairnicd"), "--help"]).stdout.startswith("usage: fairnicd")
    assert "Commands:" in run([str(dest / "usr/bin/fairnicctl"), "help"]).stdout
    # the libvirt hook runs the installed tool
    assert 'FAIRNIC_LIBVIRT:=/usr/sbin/fairnic-libvirt}' in (dest / "usr/libexec/fairnic/libvirt-hook-qemu").read_text()
    unit = (dest / UNIT).read_text()
    assert not re.search(r"@[A-Z]+@", unit), "a @VARIABLE@ left in the unit"
    assert "ExecStart=/usr/sbin/fairnicd " in unit
    assert "ExecStartPre=+/usr/libexec/fairnic/fairnic-hugepages" in unit


def test_install_default_prefix_and_overrides(tmp_path):
    d1 = tmp_path / "default"
    install(d1)
    # PREFIX=/usr/local: systemd reads /usr/local/lib/systemd/system too;
    # the service's configuration stays in /etc
    local = {k.replace("usr/", "usr/local/") if k.startswith("usr/") else k for k in EXPECTED}
    local = {k.replace("lib/systemd/", "usr/local/lib/systemd/") if k.startswith("lib/") else k
             for k in local}
    assert files_under(d1) == local
    unit = (d1 / "usr/local/lib/systemd/system/fairnic.service").read_text()
    assert "ExecStart=/usr/local/sbin/fairnicd --config /etc/fairnic/fairnic.conf " in unit
    assert "ExecStartPre=+/usr/local/libexec/fairnic/fairnic-hugepages" in unit
    assert "EnvironmentFile=-/etc/default/fairnic" in unit

    d2 = tmp_path / "override"
    install(d2, "PREFIX=/usr", "SYSTEMDUNITDIR=/etc/systemd/system", "SYSCONFDIR=/srv/etc")
    files = files_under(d2)
    assert "etc/systemd/system/fairnic.service" in files and UNIT not in files
    assert "srv/etc/fairnic/fairnic.conf" in files and "srv/etc/default/fairnic" in files
    unit = (d2 / "etc/systemd/system/fairnic.service").read_text()
    assert "--config /srv/etc/fairnic/fairnic.conf " in unit
    assert "EnvironmentFile=-/srv/etc/default/fairnic" in unit


def test_install_keeps_changed_configuration(tmp_path):
    install(tmp_path, "PREFIX=/usr")
    for rel in ("etc/fairnic/fairnic.conf", "etc/default/fairnic"):
        (tmp_path / rel).write_text("# mine\n")
    (tmp_path / "usr/sbin/fairnicd").write_text("old")
    r = install(tmp_path, "PREFIX=/usr")
    for rel in ("etc/fairnic/fairnic.conf", "etc/default/fairnic"):
        assert (tmp_path / rel).read_text() == "# mine\n", rel
        assert f"kept {tmp_path / rel}" in r.stdout
    assert (tmp_path / "usr/sbin/fairnicd").read_bytes() != b"old"    # programs are replaced


def test_uninstall_removes_what_install_put(tmp_path):
    install(tmp_path, "PREFIX=/usr")
    make("uninstall", f"DESTDIR={tmp_path}", "PREFIX=/usr")
    assert files_under(tmp_path) == set()
    for rel in ("usr/libexec/fairnic", "etc/fairnic"):
        assert not (tmp_path / rel).exists(), rel
    # a configuration file the administrator changed stays
    install(tmp_path, "PREFIX=/usr")
    (tmp_path / "etc/fairnic/fairnic.conf").write_text("vnic add a mac 52:54:00:00:00:01 tap t\n")
    r = make("uninstall", f"DESTDIR={tmp_path}", "PREFIX=/usr")
    assert files_under(tmp_path) == {"etc/fairnic/fairnic.conf"}
    assert "kept" in r.stdout


# --------------------------------------------------------------- the unit

def unit_settings(text):
    """[(key, value)] of a unit file, in order (keys may repeat)."""
    out = []
    for ln in text.splitlines():
        if ln and ln[0] not in "#;[" and "=" in ln:
            k, v = ln.split("=", 1)
            out.append((k.strip(), v.strip()))
    return out


@pytest.fixture(scope="module")
def verify_root(dest, tmp_path_factory):
    """A root for systemd-analyze --root: the installed tree, the host's
    units (sysinit.target and the rest a service depends on) and /bin/kill
    (ExecReload)."""
    root = tmp_path_factory.mktemp("verifyroot")
    shutil.copytree(dest, root, dirs_exist_ok=True, symlinks=True)
    shutil.copytree("/lib/systemd/system", root / "lib/systemd/system",
                    dirs_exist_ok=True, symlinks=True)
    os.makedirs(root / "bin", exist_ok=True)
    shutil.copy2("/bin/kill", root / "bin/kill")
    return root


def analyze_verify(root):
    # Documentation=man:... is checked with man(1): find the installed pages
    env = dict(os.environ, MANPATH=str(root / "usr/share/man"))
    return run(["systemd-analyze", "verify", f"--root={root}", "/" + UNIT], env=env)


def test_unit_passes_systemd_analyze_verify(verify_root):
    r = analyze_verify(verify_root)
    assert r.returncode == 0 and r.stdout == "" and r.stderr == "", r.stdout + r.stderr
    # the check sees a mistake: a misspelt setting and a missing program
    unit = verify_root / UNIT
    good = unit.read_text()
    try:
        unit.write_text(good.replace("ProtectSystem=", "ProtectSystm="))
        assert "ProtectSystm" in analyze_verify(verify_root).stderr
        unit.write_text(good.replace("/usr/sbin/fairnicd", "/usr/sbin/fairnicdx"))
        r = analyze_verify(verify_root)
        assert r.returncode != 0 and "fairnicdx" in r.stderr
    finally:
        unit.write_text(good)


def test_unit_security_exposure(verify_root):
    r = run(["systemd-analyze", "security", "--offline=yes", f"--root={verify_root}",
             "--threshold=40", "--no-pager", "fairnic.service"])
    m = re.search(r"Overall exposure level for fairnic\.service: ([\d.]+)", r.stdout + r.stderr)
    assert m, r.stdout + r.stderr
    assert r.returncode == 0 and float(m.group(1)) <= 4.0, r.stdout


def test_unit_runs_fairnicd_as_documented(dest):
    s = unit_settings((dest / UNIT).read_text())
    d = {}
    for k, v in s:
        d.setdefault(k, []).append(v)
    assert d["Type"] == ["exec"]
    assert d["EnvironmentFile"] == ["-/etc/default/fairnic"]
    assert d["ExecReload"] == ["/bin/kill -HUP $MAINPID"]
    start = d["ExecStart"][0].split()
    assert start[0] == "/usr/sbin/fairnicd"
    opts = dict(zip(start[1::2], start[2::2]))
    assert opts["--config"] == "/etc/fairnic/fairnic.conf"
    assert opts["--state"] == "/var/lib/fairnic/state.conf"
    assert opts["--ctl"] == "/run/fairnic/ctl.sock"
    assert start[-1] == "$FAIRNICD_OPTS"
    # the directories those live in are the service's own
    assert d["RuntimeDirectory"] == ["fairnic dpdk/fairnic"]
    assert d["StateDirectory"] == ["fairnic"]
    assert opts["--file-prefix"] == "fairnic"   # DPDK's /run/dpdk/fairnic
    # root with four capabilities, in a sandbox
    assert d["CapabilityBoundingSet"] == ["CAP_NET_ADMIN CAP_NET_RAW CAP_IPC_LOCK CAP_CHOWN"]
    for k, v in (("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"),
                 ("ProtectHome", "yes"), ("PrivateTmp", "yes"), ("DevicePolicy", "closed"),
                 ("SystemCallFilter", "@system-service"), ("SystemCallErrorNumber", "EPERM")):
        assert d[k] == [v], k
    assert "User" not in d


def help_options(fairnicd):
    """fairnicd's own options, and the EAL options its help names."""
    text = run([fairnicd, "--help"]).stdout
    own = set(re.findall(r"(?m)^  (?:-\w, )?(--[\w-]+)", text))
    eal = set(re.findall(r"--[\w-]+", "".join(l for l in text.splitlines() if "EAL" in l)))
    return own, eal


def test_unit_and_defaults_use_only_options_fairnicd_has(dest):
    own, eal = help_options(str(dest / "usr/sbin/fairnicd"))
    assert {"--config", "--state", "--ctl", "--uplink"} <= own
    start = dict(unit_settings((dest / UNIT).read_text()))["ExecStart"]
    default = dict(unit_settings((dest / "etc/default/fairnic").read_text()))
    used = set(re.findall(r"(?<!\S)--[\w-]+", start + " " + default["FAIRNICD_OPTS"].strip('"')))
    assert used, start
    assert used <= own | eal, used - own - eal
    # and the examples in the default file's comments
    examples = set(re.findall(r"(?<!\S)--[\w-]+", (dest / "etc/default/fairnic").read_text()))
    assert examples <= own | eal | {"--no-pci"}, examples - own - eal


# -------------------------------------------------------------- hugepages

def fake_sysfs(tmp_path, have, kb=2048):
    d = tmp_path / f"sys/kernel/mm/hugepages/hugepages-{kb}kB"
    d.mkdir(parents=True, exist_ok=True)
    (d / "nr_hugepages").write_text(f"{have}\n")
    return d / "nr_hugepages"


@pytest.mark.parametrize("env, have, rc, after", [
    ({"FAIRNIC_HUGEPAGES": "1024"}, 16, 0, 1024),       # raised
    ({"FAIRNIC_HUGEPAGES": "1024"}, 2048, 0, 2048),     # never lowered
    ({"FAIRNIC_HUGEPAGES": "0"}, 16, 0, 16),            # 0: left alone
    ({}, 16, 0, 16),                                    # unset: left alone
    ({"FAIRNIC_HUGEPAGES": "lots"}, 16, 1, 16),         # not a number
    ({"FAIRNIC_HUGEPAGES": "8", "FAIRNIC_HUGEPAGE_KB": "1048576"}, 0, 1, 0),  # no such size here
    ({"FAIRNIC_HUGEPAGES": "8", "FAIRNIC_HUGEPAGE_KB": "1G"}, 0, 1, 0),
])
def test_hugepages_helper(dest, tmp_path, env, have, rc, after):
    f = fake_sysfs(tmp_path, have)
    e = {"PATH": os.environ["PATH"], "FAIRNIC_SYSFS": str(tmp_path / "sys"), **env}
    r = run([str(dest / "usr/libexec/fairnic/fairnic-hugepages")], env=e)
    assert r.returncode == rc, r.stdout + r.stderr
    assert int(f.read_text()) == after
    if rc:
        assert r.stderr.startswith("fairnic-hugepages: ")


def test_hugepages_helper_reads_the_default_file(dest, tmp_path):
    """The variables as systemd hands them over from /etc/default/fairnic."""
    f = fake_sysfs(tmp_path, 0)
    env = {k: v.strip('"') for k, v in unit_settings((dest / "etc/default/fairnic").read_text())}
    assert env["FAIRNIC_HUGEPAGES"] == "1024" and env["FAIRNIC_HUGEPAGE_KB"] == "2048"
    r = run([str(dest / "usr/libexec/fairnic/fairnic-hugepages")],
            env={"PATH": os.environ["PATH"], "FAIRNIC_SYSFS": str(tmp_path / "sys"), **env})
    assert r.returncode == 0 and int(f.read_text()) == 1024, r.stderr


# -------------------------------------------------------------- man pages

def render(page, width=80):
    """man(1)'s text of a page file, as a reader gets it (not a terminal:
    no bold or underline)."""
    env = dict(os.environ, MANWIDTH=str(width), LC_ALL="C.UTF-8")
    env.pop("MAN_KEEP_FORMATTING", None)
    return run(["man", "--warnings", "-l", str(page)], env=env)


@pytest.mark.parametrize("name", ["fairnicd", "fairnicctl"])
def test_man_page_renders_without_warnings(dest, name):
    page = dest / MAN8 / f"{name}.8"
    r = run(["groff", "-man", "-ww", "-z", "-Tutf8", str(page)])
    assert r.returncode == 0 and r.stderr == "", r.stderr
    r = render(page)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith(f"{name.upper()}(8)")
    assert not [ln for ln in lines if len(ln) > 80]
    for sect in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "SEE ALSO"):
        assert sect in lines, sect
    # NAME is what mandb/apropos read
    r = run(["lexgrog", str(page)])
    assert r.returncode == 0 and f'"{name} - ' in r.stdout, r.stdout + r.stderr


def help_items(fairnicd, fairnicctl):
    """What the help lists, read here independently of scripts/gen_man.py:
    {page: [(term, meaning or None)]}, a term being what starts its entry."""
    d = run([fairnicd, "--help"]).stdout
    items = {"fairnicd": [(o, None) for o in re.findall(r"(?m)^  (?:-\w, )?(--[\w-]+)", d)]}
    h = run([fairnicctl, "help"]).stdout
    ctl = []
    cmds = h.split("\nCommands:\n", 1)[1].split("\n\n", 1)[0]
    for ln in cmds.splitlines():
        m = re.match(r"  ([a-z]+(?: [a-z]+)?)(?:  | [A-Z\[(]|$)", ln)
        if m:
            ctl.append((m.group(1), None))
    ctl += [(o, None) for o in re.findall(r"(?m)^  (?:-\w, )?(--[\w-]+)", h.split("\nCommands:")[0])]
    for topic in ("keys", "counters"):
        md = run([fairnicctl, "help", topic, "--markdown"]).stdout
        for ln in md.splitlines():
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", ln)[1:-1]]
            if cells and cells[0].startswith("`"):
                ctl.append((cells[0].strip("`"), cells[-1].replace("\\|", "|")))
    # commands with a help of their own ("Live view: top ... (top --help)")
    for word in re.findall(r"\((\w+) --help\)", h):
        sub = run([fairnicctl, word, "--help"]).stdout
        ctl += [(o, None) for o in re.findall(r"(?m)^ +(?:-\w, )?(--[\w-]+)", sub)]
    items["fairnicctl"] = ctl
    return items


def missing_from(text, items):
    """The items whose entry is not in the rendered page: a line starting
    with the term at the entry indent, and the meaning (whitespace aside)."""
    flat = " ".join(text.split())
    out = []
    for term, meaning in items:
        if not re.search(r"(?m)^ {7}(?:-\w, )?" + re.escape(term) + r"(?: |$)", text):
            out.append(term)
        elif meaning and " ".join(meaning.split()) not in flat:
            out.append(term + ": " + meaning)
    return out


def test_man_pages_list_all_the_help_lists(dest):
    items = help_items(str(dest / "usr/sbin/fairnicd"), str(dest / "usr/bin/fairnicctl"))
    assert len(items["fairnicd"]) >= 15 and len(items["fairnicctl"]) >= 80
    terms = [t for t, _ in items["fairnicctl"]]
    for t in ("vnic add", "uplink set", "stats reset", "help", "rx-rate", "tx-min", "ip",
              "rx_drop_rate", "tx_drop_ip_spoof", "rx_share", "--socket", "--json"):
        assert t in terms, t
    pages = {}
    for name in ("fairnicd", "fairnicctl"):
        pages[name] = render(dest / MAN8 / f"{name}.8", width=200).stdout
        assert missing_from(pages[name], items[name]) == [], name
    # the check sees an entry that is gone
    gone = re.sub(r"(?m)^ {7}rx-pps-burst N.*\n.*\n", "", pages["fairnicctl"])
    assert gone != pages["fairnicctl"]
    assert missing_from(gone, items["fairnicctl"]) == ["rx-pps-burst"]


def test_man_page_examples_follow_the_grammar(dest):
    text = render(dest / MAN8 / "fairnicctl.8", width=200).stdout
    section = text.split("\nEXAMPLES\n", 1)[1].split("\nSEE ALSO\n", 1)[0]
    section = re.sub(r"\\\n\s*", " ", section)         # continued lines
    commands = re.findall(r"(?m)^ +(fairnicctl .*)$", section)
    assert len(commands) >= 4, section
    ctl = str(dest / "usr/bin/fairnicctl")
    for c in commands + ["fairnicctl vnic add vm1 mac 52:54:00:12:34:56 vhost-user /x rx-rate fast"]:
        r = run([ctl, "-s", "/nonexistent/ctl.sock", *c.split()[1:]])
        # parsed, then not sent: exit 2, "cannot reach"; a grammar error is 1
        ok = r.returncode == 2
        assert ok == (not c.endswith("fast")), f"{c}: {r.returncode} {r.stderr}"


def test_example_configuration_runs_in_the_daemon(dest, tmp_path):
    """The commented commands of /etc/fairnic/fairnic.conf, uncommented,
    are a --config the real fairnicd starts with (paths and the tap name
    made this test's own)."""
    text = (dest / "etc/fairnic/fairnic.conf").read_text()
    cmds = [ln[2:] for ln in text.splitlines() if re.match(r"# (vnic|uplink) ", ln)]
    assert len(cmds) >= 4
    assert not [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    tap = "fnx" + uuid.uuid4().hex[:8]
    conf = "\n".join(cmds).replace("/run/fairnic/", f"{tmp_path}/").replace(" tap fnc1", f" tap {tap}")
    (tmp_path / "fairnic.conf").write_text(conf + "\n")
    d = Daemon(tmp_path, config=str(tmp_path / "fairnic.conf"))
    try:
        names = sorted(v["name"] for v in d.ctl.ok("vnic", "show")["vnics"])
        assert names == sorted(re.findall(r"vnic add (\S+)", conf))
        assert d.ctl.ok("uplink", "show")["uplinks"][0]["tx_rate"] == 10_000_000_000
    finally:
        d.stop()


# ------------------------------------------------------------- completion

COMPLETE = r'''
source "$1" || exit 3
spec=$(complete -p fairnicctl) || exit 4
fn=$(sed -n 's/.*-F \([^ ]*\) .*/\1/p' <<<"$spec")
COMP_LINE=$2; COMP_POINT=${#COMP_LINE}
read -ra COMP_WORDS <<<"$COMP_LINE"; [[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
"$fn" fairnicctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
'''


def complete(dest, line, **env):
    e = dict(os.environ, PATH=f"{dest}/usr/bin:{os.environ['PATH']}", **env)
    e.setdefault("FAIRNIC_CTL", "/nonexistent/ctl.sock")
    r = run(["bash", "--norc", "--noprofile", "-c", COMPLETE, "complete",
             str(dest / COMPLETION), line], env=e)
    assert r.returncode == 0, r.stderr
    return [w for w in r.stdout.splitlines() if w]


@pytest.mark.parametrize("line, want", [
    ("fairnicctl vnic se", ["set"]),
    ("fairnicctl vnic set vm1 rx-r", ["rx-rate"]),
    ("fairnicctl vnic s", ["set", "show"]),
    ("fairnicctl -s /x --json vnic d", ["del"]),
    ("fairnicctl st", ["stats"]),
    ("fairnicctl stats r", ["reset"]),
    ("fairnicctl uplink set up0 tx-rate ", ["auto"]),
    ("fairnicctl uplink set up0 tx-rate 1gbit ", ["rx-rate"]),
    ("fairnicctl vnic set vm1 rx-police ", ["on", "off"]),
    ("fairnicctl vnic set vm1 rx-aqm ", ["codel", "tail"]),
    ("fairnicctl vnic set vm1 ip ", ["any", "none"]),
    ("fairnicctl vnic set vm1 vlan ", ["none"]),
    ("fairnicctl vnic set vm1 rx-rate 1gbit rx-r", []),           # given already
    ("fairnicctl vnic set vm1 vh", []),                           # add only
    ("fairnicctl vnic add vm1 mac 52:54:00:00:00:01 vh", ["vhost-user"]),   # ':' in a word
    ("fairnicctl vnic add vm1 mac 52:54:00:00:00:01 tap t0 vh", []),         # one backend
    ("fairnicctl help ", ["keys", "counters", "--markdown"]),
    ("fairnicctl --js", ["--json"]),
])
def test_completion(dest, line, want):
    assert complete(dest, line) == want


def test_completion_offers_every_command_and_key(dest):
    ctl = str(dest / "usr/bin/fairnicctl")
    h = run([ctl, "help"]).stdout
    cmds = h.split("\nCommands:\n", 1)[1].split("\n\n", 1)[0]
    groups = list(dict.fromkeys(re.findall(r"(?m)^  ([a-z]+)", cmds)))
    assert {"vnic", "uplink", "stats", "help"} <= set(groups)
    # and the commands with a help of their own ("Live view: top ... (top --help)")
    own = re.findall(r"(?m)^\S.*\((\w+) --help\)$", h)
    assert complete(dest, "fairnicctl ") == groups + [w for w in own if w not in groups]
    for word in own:
        opts = re.findall(r"(?m)^ +(?:(-\w), )?(--[\w-]+)", run([ctl, word, "--help"]).stdout)
        assert opts, word
        assert complete(dest, f"fairnicctl {word} -") == [o for pair in opts for o in pair if o]
    md = run([ctl, "help", "keys", "--markdown"]).stdout.split("\n\n")
    tables = [re.findall(r"(?m)^\| `([^`]+)` \|(.*)$", t) for t in md]
    vkeys, ukeys = [t for t in tables if t]
    assert complete(dest, "fairnicctl vnic add vm1 ") == [k for k, _ in vkeys]
    assert complete(dest, "fairnicctl vnic set vm1 ") == \
        [k for k, rest in vkeys if "(add only)" not in rest]
    assert complete(dest, "fairnicctl uplink set up0 ") == [k for k, _ in ukeys]


def test_completion_of_paths(dest, tmp_path):
    (tmp_path / "vm1.sock").touch()
    (tmp_path / "saved.conf").touch()
    p = f"{tmp_path}/"
    assert complete(dest, f"fairnicctl vnic add vm1 mac 52:54:00:00:00:01 vhost-user {p}v") == \
        [p + "vm1.sock"]
    assert complete(dest, f"fairnicctl -s {p}v") == [p + "vm1.sock"]
    # commands whose synopsis takes a FILE (config save [FILE])
    h = run([str(dest / "usr/bin/fairnicctl"), "help"]).stdout
    for cmd in re.findall(r"(?m)^  ([a-z]+ [a-z]+) \[?FILE", h):
        assert complete(dest, f"fairnicctl {cmd} {p}sa") == [p + "saved.conf"], cmd


def test_completion_asks_the_daemon_for_names(dest, daemon):
    for name, mac in (("vm1", "52:54:00:00:00:01"), ("vm2", "52:54:00:00:00:02"),
                      ("web", "52:54:00:00:00:03")):
        daemon.ctl.ok("vnic", "add", name, "mac", mac, "vhost-user", daemon.sock(name))
    s = daemon.ctl_path
    assert complete(dest, f"fairnicctl -s {s} vnic set ") == ["vm1", "vm2", "web"]
    assert complete(dest, f"fairnicctl --socket {s} vnic del v") == ["vm1", "vm2"]
    assert complete(dest, "fairnicctl stats ", FAIRNIC_CTL=s) == ["show", "reset", "vm1", "vm2", "web"]
    assert complete(dest, f"fairnicctl -s {s} uplink set ") == ["up0"]
    assert complete(dest, f"fairnicctl -s {s} vnic set vm1 uplink ") == ["up0"]
    assert complete(dest, f"fairnicctl -s {s} vnic add new ") != []      # keys, no names
    assert "vm1" not in complete(dest, f"fairnicctl -s {s} vnic add ")
    # no daemon: no names, and no error
    assert complete(dest, "fairnicctl vnic set ") == []


def test_completion_in_an_interactive_shell(dest, tmp_path):
    """bash reads the script the way it would from bash-completion's
    directory, and TAB completes: tmux types, its screen is read back."""
    session = "fnc" + uuid.uuid4().hex[:8]
    rc = tmp_path / "bashrc"
    rc.write_text(f"PS1='$ '\nexport PATH={dest}/usr/bin:$PATH\nsource {dest / COMPLETION}\n")
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "200", "-y", "20",
                    f"bash --noprofile --rcfile {rc} -i"], check=True)
    try:
        def line(want):
            # the screen's lines, trailing blanks cut by tmux
            lines = run(["tmux", "capture-pane", "-p", "-t", session]).stdout.splitlines()
            return want in lines
        wait_for(lambda: line("$"), 10, "the shell's prompt")
        subprocess.run(["tmux", "send-keys", "-t", session, "fairnicctl vnic se", "Tab"], check=True)
        wait_for(lambda: line("$ fairnicctl vnic set"), 10, "vnic se<TAB> -> vnic set")
        subprocess.run(["tmux", "send-keys", "-t", session, "vm1 rx-r", "Tab"], check=True)
        wait_for(lambda: line("$ fairnicctl vnic set vm1 rx-rate"), 10, "rx-r<TAB> -> rx-rate")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session])
