classdef StreamProxy < pyacq.Proxy
%STREAMPROXY  A remote node's output or input stream (from pyacq.Node/output, /input).
%
%   out = dev.output();
%   out.configure('protocol', 'tcp', 'interface', '127.0.0.1', 'transfermode', 'plaindata');
%   out.configure('transfermode', 'sharedmem', 'buffer_size', 10000);  % (same machine)
%   p = out.params();                 % struct (port, dtype, shape ...) once configured
%   filt.input().connect(out);        % a remote input fed by a remote output
%   in = pyacq.InputStream(); in.connect(out);   % a local input fed by a remote output
%
%   configure takes stream params like pyacq.OutputStream/configure (struct, name/value
%   pairs or JSON; 'shape' given as a numeric vector is a list). Every method takes a
%   trailing 'Timeout', ms pair (default: the Timeout property).

  methods
    function obj = StreamProxy(handle, owner)
    %STREAMPROXY  Wraps a gateway node stream handle, or the JSON text of its proxy map.
      if nargin < 2
        owner = [];
      end
      obj.init(handle, owner, 'stream');
    end

    function configure(obj, varargin)
    %CONFIGURE  Configures a remote output stream (protocol, interface, port, transfermode,
    %   buffer_size, compression ...).
      [args, t] = pyacq.internal.timeoutOption(varargin, obj.Timeout);
      pyacq_mex('stream_configure', obj.Handle, pyacq.internal.toJson(args{:}), t);
    end

    function connect(obj, source, varargin)
    %CONNECT  Connects this remote input to SOURCE: a pyacq.StreamProxy (a remote output), a
    %   pyacq.OutputStream of this process, or producer params (struct or JSON text).
      [~, t] = pyacq.internal.timeoutOption(varargin, obj.Timeout);
      if isa(source, 'pyacq.StreamProxy')
        pyacq_mex('stream_connect', obj.Handle, source.Handle, t);
        return;
      end
      json = pyacq.internal.producerParams(source, ...
                                           'a StreamProxy, an OutputStream, a params struct or params JSON');
      pyacq_mex('proxy_call', obj.Handle, 'connect', ['[', json, ']'], [], t);
    end

    function p = params(obj, varargin)
    %PARAMS  The stream's params as a struct (fetched by value).
      p = pyacq.internal.fromJson(obj.paramsJson(varargin{:}));
    end

    function json = paramsJson(obj, varargin)
    %PARAMSJSON  The stream's params as JSON text (fetched by value).
      [~, t] = pyacq.internal.timeoutOption(varargin, obj.Timeout);
      json = pyacq_mex('stream_params', obj.Handle, t);
    end
  end
end
