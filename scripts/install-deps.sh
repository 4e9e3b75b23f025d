#!/usr/bin/env bash
# Installs what building and testing libpyacq needs on Debian: system libraries with apt,
# Python test packages with pip. Fast when everything is already there.
set -euo pipefail

APT_PACKAGES=(libzmq3-dev libmsgpack-dev libblosc-dev pkg-config cmake gcc make iproute2 procps)
# EEG devices: libcrypto (AES for the Emotiv EPOC).
APT_PACKAGES+=(libssl-dev)
# Emotiv EPOC over USB: libusb finds and reads the dongle by vendor/product id (no hidraw node needed).
APT_PACKAGES+=(libusb-1.0-0-dev)
# Audio and video devices: PortAudio, FFmpeg's libraries, and the JACK server the tests start.
APT_PACKAGES+=(portaudio19-dev libjack-jackd2-dev libavformat-dev libavcodec-dev libavdevice-dev libswscale-dev libavutil-dev ffmpeg jackd2)
# FFTW3: the FFTs of the TimeFreqWorker node (Morlet scalogram).
APT_PACKAGES+=(libfftw3-dev)
PIP_PACKAGES=(numpy pyzmq msgpack blosc pytest scipy)
# The viewers' extra (libpyacq[viewers]): their tests draw offscreen with pyqtgraph on PyQt5.
PIP_PACKAGES+=(pyqtgraph PyQt5)
# The LSL bridge (libpyacq.lsl): the pylsl wheel ships liblsl.so.
PIP_PACKAGES+=(pylsl)
if [ "${1:-}" = "--with-octave" ]; then APT_PACKAGES+=(octave liboctave-dev); fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing system packages: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! python3 -c "import numpy, zmq, msgpack, blosc, pytest, scipy, pyqtgraph, PyQt5, pylsl" 2>/dev/null; then
  echo "installing Python packages: ${PIP_PACKAGES[*]}"
  python3 -m pip install -q --disable-pip-version-check "${PIP_PACKAGES[@]}"
fi
