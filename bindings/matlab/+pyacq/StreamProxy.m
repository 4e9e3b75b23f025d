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
%   pairs or JSON; 'shape' given as a numeric vector is a list).

  methods
    function obj = StreamProxy(handle, owner)
      if nargin < 2
        owner = [];
      end
      obj@pyacq.Proxy(handle, owner);
    end

    function configure(obj, varargin)
    %CONFIGURE  Configures a remote output stream (protocol, interface, port, transfermode,
    %   buffer_size, compression ...).
      pyacq_mex('stream_configure', obj.Handle, pyacq.internal.toJson(varargin{:}));
    end

    function connect(obj, source)
    %CONNECT  Connects this remote input to SOURCE: a pyacq.StreamProxy (a remote output), a
    %   pyacq.OutputStream of this process, or producer params (struct or JSON text).
      if isa(source, 'pyacq.StreamProxy')
        pyacq_mex('stream_connect', obj.Handle, source.Handle);
        return;
      end
      json = pyacq.internal.producerParams(source, ...
                                           'a StreamProxy, an OutputStream, a params struct or params JSON');
      pyacq_mex('proxy_call', obj.Handle, 'connect', {struct('pyacq_raw_json__', json)});
    end

    function p = params(obj)
    %PARAMS  The stream's params as a struct (fetched by value).
      p = pyacq.internal.fromJson(obj.paramsJson());
    end

    function json = paramsJson(obj)
    %PARAMSJSON  The stream's params as JSON text (fetched by value).
      a = pyacq_mex('proxy_attr', obj.Handle, 'params');
      try
        json = pyacq_mex('proxy_get_value', a, 10000);
      catch err
        pyacq_mex('proxy_destroy', a);
        rethrow(err);
      end
      pyacq_mex('proxy_destroy', a);
    end
  end
end
