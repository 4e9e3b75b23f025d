function p = tcp_params(dtype, shape, varargin)
%TCP_PARAMS  Stream params (struct) for a local tcp stream; extra name/value pairs override.
  p = struct('protocol', 'tcp', 'interface', '127.0.0.1', 'port', '*', 'transfermode', 'plaindata', ...
             'dtype', dtype, 'shape', shape);
  for k = 1:2:numel(varargin)
    p.(varargin{k}) = varargin{k + 1};
  end
end
