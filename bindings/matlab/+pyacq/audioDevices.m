function devices = audioDevices()
%AUDIODEVICES  The audio devices PortAudio sees, as a struct array with pyaudio's fields (index,
%   name, hostApi, hostApiName, maxInputChannels, maxOutputChannels, defaultSampleRate, ...).
%   A PyAudio node takes the index or the name as input_device_index / output_device_index.
  devices = pyacq.internal.fromJson(pyacq_mex('audio_devices'));
  if isempty(devices)
    devices = struct([]);
  end
end
