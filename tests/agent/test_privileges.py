"""A lab agent started as root gives root up only where its user can still read the code it imports."""

import os
import pwd
import tempfile
from pathlib import Path

from agent.privileges import unreadable_for

NOBODY = pwd.getpwnam("nobody").pw_uid


def test_a_directory_the_user_cannot_enter_is_named_and_a_readable_one_is_not():
    assert os.geteuid() == 0  # as the test suite runs
    with tempfile.TemporaryDirectory(dir="/tmp") as top:  # /tmp: every user may enter it
        Path(top).chmod(0o755)
        closed, readable = Path(top) / "closed", Path(top) / "readable"
        closed.mkdir(mode=0o700)
        readable.mkdir(mode=0o755)
        assert unreadable_for(NOBODY, [str(readable)]) is None
        assert unreadable_for(NOBODY, [str(readable), str(closed)]) == str(closed)
    assert os.geteuid() == 0  # the check ran in a child; this process is still root
