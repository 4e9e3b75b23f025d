"""libpyacq.SharedMem: pyacq's shared block, mapped across processes and by the stream layer's
shared files."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import libpyacq


def test_block_is_private_and_removed_on_close():
    mem = libpyacq.SharedMem(4096)
    assert os.path.basename(mem.shm_id).startswith("pyacq_SharedMem_")
    assert os.stat(mem.shm_id).st_mode & 0o777 == 0o600
    assert os.path.getsize(mem.shm_id) == 4096
    mem.close()
    assert not os.path.exists(mem.shm_id)


def test_another_process_sees_the_same_bytes():
    with libpyacq.SharedMem(8 * 100) as mem:
        array = mem.to_numpy(0, "float64", (10, 10))
        array[:] = np.arange(100).reshape(10, 10)
        code = textwrap.dedent(f"""
            import sys; sys.path.insert(0, {os.path.dirname(libpyacq.__path__[0])!r})
            import libpyacq
            mem = libpyacq.SharedMem(800, shm_id={mem.shm_id!r})
            view = mem.to_numpy(8 * 10, "float64", (9, 10))
            print(view.sum(), view.flags.writeable)
        """)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ), check=True).stdout
        assert out.split() == [str(float(np.arange(10, 100).sum())), "False"]


def test_maps_the_file_of_a_sharedmem_stream():
    with libpyacq.OutputStream() as out:
        out.configure(protocol="tcp", transfermode="sharedmem", dtype="int16", shape=[-1, 2], buffer_size=8)
        out.send(np.arange(6, dtype="int16").reshape(3, 2))
        nbytes = 16 + 8 * 2 * 2
        mem = libpyacq.SharedMem(nbytes, shm_id=out.params["shm_id"])
        header = mem.to_numpy(0, "int64", (2,))
        assert list(header) == [3, 3]  # read index, write index
        assert mem.to_numpy(16, "int16", (3, 2)).tolist() == [[0, 1], [2, 3], [4, 5]]
        mem.close()


def test_bad_arguments():
    with pytest.raises(libpyacq.ParamsError):
        libpyacq.SharedMem(0)
    with pytest.raises(libpyacq.ParamsError, match="no_such_block"):
        libpyacq.SharedMem(10, shm_id="/tmp/no_such_block")
    with libpyacq.SharedMem(16) as mem:
        with pytest.raises(libpyacq.ParamsError, match="16 bytes"):
            libpyacq.SharedMem(32, shm_id=mem.shm_id)
