"""Python blocks of Markdown pages, run as a reader would run them, and the output the page shows.

A page's ```python block may be followed directly by a ```text block: what the block prints.  It is
compared as doctest compares (``...`` stands for any text, such as a loss that differs from run to
run; runs of spaces and line breaks count as one).  A block the page shows no output for must print
nothing, so every block has an expectation and a block that prints something unshown fails.
"""
import doctest
import os
import re
import subprocess
import sys
from dataclasses import dataclass

FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.S | re.M)


@dataclass
class Block:
    page: str
    line: int
    code: str
    output: str = None            # what the page shows it prints; None: it prints nothing

    @property
    def name(self):
        return f"{self.page}:{self.line}"


def _dedent(body, indent):
    return "".join(line[len(indent):] if line.startswith(indent) else line for line in body.splitlines(True))


def blocks_of(text, page):
    """The page's python blocks, each with the output block that follows it (only blank lines between)."""
    found, previous, previous_end = [], None, 0
    for match in FENCE.finditer(text):
        lang, body = match["lang"], _dedent(match["body"], match["indent"])
        line = text.count("\n", 0, match.start()) + 1
        if lang == "python":
            previous = Block(page, line, body)
            found.append(previous)
        elif lang == "text" and previous is not None and previous.output is None \
                and not text[previous_end:match.start()].strip():
            previous.output = body
            previous = None
        else:
            previous = None
        previous_end = match.end()
    return found


def run_block(block, tmp_path, timeout=900):
    """Run ``block`` in a fresh interpreter in an empty folder; fail with the page's line if it differs."""
    work, scratch = tmp_path / "work", tmp_path / "tmp"
    work.mkdir()
    scratch.mkdir()
    env = dict(os.environ, TMPDIR=str(scratch), MPLBACKEND="Agg")
    done = subprocess.run([sys.executable, "-c", block.code], cwd=work, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, f"{block.name} failed:\n{done.stderr[-3000:]}"
    if block.output is None:
        assert done.stdout == "", (f"{block.name} prints output the page does not show; put what it prints in a "
                                   f"```text block right after it:\n{done.stdout[-2000:]}")
    else:
        checker = doctest.OutputChecker()
        flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
        assert checker.check_output(block.output, done.stdout, flags), \
            f"{block.name} printed what its page does not show:\n" + \
            checker.output_difference(doctest.Example("", block.output), done.stdout, flags)
    assert list(work.iterdir()) == [], f"{block.name} left files in the folder it ran in"
    return done, scratch
