function [out, in] = connected_pair(params, orientation)
%CONNECTED_PAIR  An OutputStream configured with PARAMS and an InputStream connected to it,
%   with the subscription confirmed (no chunk lost to the PUB/SUB slow joiner, no sleep).
  if nargin < 2
    orientation = 'samples-by-channels';
  end
  out = pyacq.OutputStream('Orientation', orientation);
  out.configure(params);
  in = pyacq.InputStream('Orientation', orientation);
  in.connect(out);
  out.waitForSubscribers(1, 10000);
end
