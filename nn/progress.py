"""Keras-like progress: a live line on a terminal, one plain line per epoch elsewhere."""
import sys
import time


def _format_values(values):
    return " - ".join(f"{name}: {value:.4f}" for name, value in values)


def _format_time(seconds):
    if seconds >= 1:
        return f"{seconds:.0f}s"
    return f"{seconds * 1000:.0f}ms" if seconds >= 1e-3 else f"{seconds * 1e6:.0f}us"


class Progress:
    """One epoch's progress over ``steps`` batches.

    verbose: 0 silent, 1 a live bar (on a terminal), 2 one line per epoch,
    "auto" is 1 on a terminal and 2 otherwise, so logs get no carriage returns.
    """

    def __init__(self, steps, verbose="auto", stream=None, interval=0.1):
        self.stream = stream or sys.stdout
        if verbose == "auto":
            verbose = 1 if _is_terminal(self.stream) else 2
        if verbose == 1 and not _is_terminal(self.stream):
            verbose = 2
        self.verbose, self.steps, self.interval = verbose, steps, interval
        self.start = self.last_draw = time.perf_counter()

    def epoch_header(self, epoch, epochs):
        if self.verbose:
            self.stream.write(f"Epoch {epoch}/{epochs}\n")
            self.stream.flush()

    def update(self, step, values):
        if self.verbose != 1:
            return
        now = time.perf_counter()
        if step < self.steps and now - self.last_draw < self.interval:
            return
        self.last_draw = now
        width = 30
        done = int(width * step / self.steps) if self.steps else width
        bar = "=" * max(done - 1, 0) + (">" if done < width else "=") + "." * (width - done)
        elapsed = now - self.start
        eta = elapsed / step * (self.steps - step) if step else 0
        timing = f"ETA {_format_time(eta)}" if step < self.steps else _format_time(elapsed)
        line = f"\r{step}/{self.steps} [{bar}] - {timing} - {_format_values(values)}"
        self.stream.write(line + "\033[K")
        self.stream.flush()

    def finish(self, values):
        """End the epoch's line with the final loss and metrics (and validation ones)."""
        if not self.verbose:
            return
        elapsed = time.perf_counter() - self.start
        per_step = elapsed / max(self.steps, 1)
        summary = f"{self.steps}/{self.steps} - {_format_time(elapsed)} - {_format_time(per_step)}/step"
        if values:
            summary += " - " + _format_values(values)
        self.stream.write(("\r" + summary + "\033[K\n") if self.verbose == 1 else summary + "\n")
        self.stream.flush()


def _is_terminal(stream):
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
