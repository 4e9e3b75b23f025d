"""Device discovery and zero-copy production through the Python binding (libpyacq.so):
audio devices listed while a JACK dummy server and jack_simple_client run (started here), the
camera list, and OutputStream.reserve()/commit() delivering rows written in place."""

import os
import shutil
import subprocess
import time

import numpy as np
import pytest

import libpyacq

TIMEOUT = 10.0


@pytest.fixture
def jack_server():
    """A private JACK server on the dummy backend with the sine client; PortAudio in this
    process finds it through JACK_DEFAULT_SERVER."""
    for tool in ("jackd", "jack_simple_client", "jack_lsp"):
        assert shutil.which(tool), "%s is missing: scripts/install-deps.sh installs jackd2" % tool
    name = "pyacqpytest"  # a fixed name: JACK reclaims a dead server's registry slot only by name
    env = dict(os.environ, JACK_DEFAULT_SERVER=name, JACK_NO_START_SERVER="1", JACK_NO_AUDIO_RESERVATION="1")
    os.environ.update(JACK_DEFAULT_SERVER=name, JACK_NO_START_SERVER="1")
    server = subprocess.Popen(["jackd", "-n", name, "-d", "dummy", "-r", "48000", "-p", "256"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = None

    def ports():
        out = subprocess.run(["jack_lsp", "-s", name], env=env, capture_output=True, text=True)
        return out.stdout.split("\n") if out.returncode == 0 else []

    def wait_for(port):
        deadline = time.monotonic() + TIMEOUT
        while port not in ports():
            assert server.poll() is None, "jackd exited"
            assert time.monotonic() < deadline, "%s did not appear" % port
            time.sleep(0.02)
    try:
        wait_for("system:capture_1")
        client = subprocess.Popen(["jack_simple_client"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for("jack_simple_client:output1")
        yield name
    finally:
        if client is not None:
            client.kill()  # its SIGTERM handler can deadlock in jack_client_close
            client.wait()
        server.terminate()  # a clean exit unregisters the server
        server.wait()


def test_audio_devices_list_the_jack_clients(jack_server):
    devices = libpyacq.audio_devices()
    by_name = {d["name"]: d for d in devices}
    assert "jack_simple_client" in by_name, devices
    sine = by_name["jack_simple_client"]
    assert sine["maxInputChannels"] == 2
    assert sine["defaultSampleRate"] == 48000
    assert "JACK" in sine["hostApiName"]
    for key in ("index", "hostApi", "maxOutputChannels", "defaultLowInputLatency", "isDefaultInput", "isDefaultOutput"):
        assert key in sine


def test_device_nodes_are_registered_in_this_process():
    assert {"PyAudio", "WebCamAV", "WebCamImageIO", "AviRecorder"} <= set(libpyacq.list_node_types())


def test_video_devices_is_a_list():
    cameras = libpyacq.video_devices()
    assert isinstance(cameras, list)
    for camera in cameras:
        assert camera["path"].startswith("/dev/video")


@pytest.mark.parametrize("mode", [dict(transfermode="plaindata"),
                                  dict(transfermode="sharedmem", buffer_size=16, double=True),
                                  dict(transfermode="sharedmem", buffer_size=16, double=False)])
def test_reserve_and_commit_deliver_rows_written_in_place(mode):
    out = libpyacq.OutputStream()
    out.configure(protocol="inproc", dtype="int32", shape=[-1, 3], **mode)
    inp = libpyacq.InputStream()
    inp.connect(out)
    assert out.wait_for_subscribers(1, timeout=TIMEOUT)
    value = 0
    for chunk in range(1, 9):  # 5-row chunks wrap around the 16-row ring
        rows = out.reserve(5)
        assert rows.shape == (5, 3) and rows.dtype == np.int32
        with pytest.raises(libpyacq.StateError):
            out.send(np.zeros((1, 3), "int32"))
        rows[:] = np.arange(value, value + 15, dtype="int32").reshape(5, 3)
        out.commit()
        index, data = inp.recv(timeout=TIMEOUT)
        assert index == 5 * chunk
        np.testing.assert_array_equal(data, np.arange(value, value + 15).reshape(5, 3))
        value += 15
    with pytest.raises(libpyacq.StateError):
        out.commit()
    inp.close()
    out.close()


def _ffmpeg_rgb(args, width, height):
    out = subprocess.run(["ffmpeg", "-v", "error", "-nostdin"] + args + ["-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(out, "uint8").reshape(-1, height, width, 3)


def test_camera_and_recorder_in_a_node_group(tmp_path):
    """WebCamAV and AviRecorder created by name in a spawned node group: frames reach this
    process equal to FFmpeg's own decoding, and the recording is an ffv1 AVI ffprobe reads."""
    graph = "testsrc=size=96x64:rate=25"
    manager = libpyacq.create_manager("local")
    sink = libpyacq.InputStream()
    try:
        group = manager.create_nodegroup("av")
        assert {"PyAudio", "WebCamAV", "WebCamImageIO", "AviRecorder"} <= set(group.list_node_types())
        camera = group.create_node("WebCamAV")
        camera.configure(url=graph, format="lavfi", pace=False)
        camera.output.configure(protocol="tcp", interface="127.0.0.1", transfermode="plaindata")
        recorder = group.create_node("AviRecorder")
        recorder.configure(streams=[camera.output], dirname=str(tmp_path / "rec"), codec_name="ffv1")
        recorder.initialize()
        recorder.start()
        sink.connect(camera.output)
        camera.initialize()
        camera.start()
        frames = []
        while len(frames) < 20:
            index, data = sink.recv(timeout=TIMEOUT)
            assert data.shape == (64, 96, 3) and data.dtype == np.uint8
            frames.append((index, np.array(data)))
        camera.stop()
        recorder.stop()
        recorder.close()
        reference = _ffmpeg_rgb(["-f", "lavfi", "-i", graph, "-frames:v", str(frames[-1][0])], 96, 64)
        for index, frame in frames:
            np.testing.assert_array_equal(frame, reference[index - 1])
        probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=codec_name,width,height",
                                "-of", "csv=p=0", str(tmp_path / "rec" / "video0.avi")], capture_output=True, text=True, check=True)
        assert probe.stdout.strip() == "ffv1,96,64"
    finally:
        sink.close()
        manager.close()
