function cameras = videoDevices()
%VIDEODEVICES  The Video4Linux cameras of this machine, as a struct array with fields path and
%   name (WebCamAV takes camera_num or camera_name).
  cameras = pyacq.internal.fromJson(pyacq_mex('video_devices'));
  if isempty(cameras)
    cameras = struct([]);
  end
end
