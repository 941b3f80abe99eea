"""`--markdown FILE`: a benchmark's report, as it printed it, written as Markdown for the docs.

The tables stay tables; the other lines (the settings, the machine, per-epoch figures) go into a
text block, so a page shows exactly what the run printed, never a hand-copied figure.
"""
import contextlib
import datetime
import io
import sys


def rerun(main, argv, path, script):
    """Run ``main`` with ``argv`` less ``--markdown``, printing as usual, and write what it printed to ``path``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    i = argv.index("--markdown") if "--markdown" in argv else next(
        i for i, a in enumerate(argv) if a.startswith("--markdown="))
    del argv[i:i + (2 if argv[i] == "--markdown" else 1)]
    printed = io.StringIO()

    class Tee(io.TextIOBase):
        def write(self, text):
            printed.write(text)
            return sys.__stdout__.write(text)

    with contextlib.redirect_stdout(Tee()):
        result = main(argv)
    with open(path, "w") as f:
        f.write(as_markdown(printed.getvalue(), f"python {script} {' '.join(argv)}".strip()))
    return result


def as_markdown(report, command):
    date = datetime.date.today().isoformat()
    out = [f"<!-- written by `{command} --markdown`: rerun it (or scripts/benchmark-tables), do not edit -->", "",
           f"`{command}`, run on {date}:", ""]
    text = []
    for line in report.rstrip().splitlines() + [""]:
        if line.startswith("|"):
            if text:
                out += ["```text", *text, "```", ""]
                text = []
            out.append(line)
        elif line.strip() or text:
            if out[-1].startswith("|"):
                out.append("")
            if line.strip():
                text.append(line)
    if text:
        out += ["```text", *text, "```"]
    return "\n".join(out).rstrip() + "\n"
