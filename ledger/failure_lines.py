"""What a log line may say of an exception: its type and where it was raised, not its message.

A message can carry stored data: a driver's "Key (source_id)=(…) already exists", a
validation error's ``input_value``, an event's decoded text; and a protected source's
identity must not reach whoever reads the logs. The frames (file, line, function) are kept,
so an operator still finds the place; the message is left out.
"""

from __future__ import annotations

import traceback


def failure(error: BaseException) -> str:
    """``TypeName`` and each frame as ``file:line in function``, innermost last; its causes' types too."""
    frames = traceback.extract_tb(error.__traceback__)
    where = " <- ".join(f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno} in {frame.name}"
                        for frame in reversed(frames))
    line = type(error).__name__ + (f" at {where}" if where else "")
    cause = error.__cause__ or error.__context__
    return line if cause is None else f"{line}; from {type(cause).__name__}"
