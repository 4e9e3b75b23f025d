classdef OutputStream < handle
%OUTPUTSTREAM  Producing end of a pyacq stream (libpyacq), wire-compatible with Python pyacq.
%
%   out = pyacq.OutputStream()                      % unconfigured stream
%   out = pyacq.OutputStream(spec)                  % spec: struct or JSON fixing params, e.g.
%                                                   %   struct('shape', [-1 16])
%   out = pyacq.OutputStream(..., 'Orientation', o) % 'samples-by-channels' (default) or
%                                                   % 'channels-by-samples'
%   out.configure('protocol', 'tcp', 'interface', '127.0.0.1', 'port', '*', ...
%                 'dtype', 'float32', 'shape', [-1 16]);   % or a struct / JSON text
%   p = out.params();                               % struct (actual port, shm_id ...)
%   out.waitForSubscribers(1, 5000);                % avoid losing the first chunks
%   out.send(single(rand(256, 16)));                % [nsamp x nchan] chunk, index += 256
%   out.send(x, index);                             % explicit stream index after the chunk
%   out.close();                                    % or just clear / delete the object
%
%   Data must have the MATLAB class of the stream dtype (double <-> float64, single <->
%   float32, int8..uint64, logical <-> bool); otherwise send raises pyacq:dtype.

  properties (SetAccess = private)
    Handle = uint64(0)   % gateway handle (uint64); 0 once deleted
  end
  properties
    Orientation = 'samples-by-channels'  % layout of the MATLAB arrays passed to send
  end

  methods
    function obj = OutputStream(varargin)
      [spec, opts] = pyacq.OutputStream.splitOptions(varargin);
      obj.Orientation = opts.Orientation;
      obj.Handle = pyacq_mex('output_create', pyacq.internal.toJson(spec{:}));
    end

    function set.Orientation(obj, o)
      obj.Orientation = pyacq.internal.checkOrientation(o);
    end

    function configure(obj, varargin)
    %CONFIGURE  Sets the stream params and binds the socket: a struct, JSON text or name/value
    %   pairs (protocol, interface, port, transfermode, dtype, shape, compression, buffer_size,
    %   double, axisorder, fill, and any other key carried along).
      pyacq_mex('output_configure', obj.Handle, pyacq.internal.toJson(varargin{:}));
    end

    function p = params(obj)
    %PARAMS  The stream params as a struct (what an InputStream connects with).
      p = pyacq.internal.fromJson(pyacq_mex('output_params', obj.Handle));
    end

    function json = paramsJson(obj)
    %PARAMSJSON  The stream params as JSON text (for a Python peer or another process).
      json = pyacq_mex('output_params', obj.Handle);
    end

    function send(obj, data, index)
    %SEND  Sends one chunk. INDEX (optional) is the stream index after the chunk; by default
    %   the previous index + number of samples.
      if nargin < 3 || isempty(index)
        index = -1;
      end
      pyacq_mex('output_send', obj.Handle, data, index, obj.Orientation);
    end

    function sendInPlace(obj, data, index)
    %SENDINPLACE  Like SEND, but the chunk is written once, in C order, straight into the rows
    %   the stream reserves for it (its shared ring for sharedmem, the message for plaindata):
    %   no intermediate copy. DATA must already have the stream's type.
      if nargin < 3 || isempty(index)
        index = -1;
      end
      pyacq_mex('output_send_in_place', obj.Handle, data, index, obj.Orientation);
    end

    function i = lastIndex(obj)
    %LASTINDEX  Stream index after the last chunk sent.
      i = pyacq_mex('output_last_index', obj.Handle);
    end

    function n = subscriberCount(obj)
    %SUBSCRIBERCOUNT  Number of consumers currently subscribed.
      n = pyacq_mex('output_subscriber_count', obj.Handle);
    end

    function ok = waitForSubscribers(obj, count, timeoutMs)
    %WAITFORSUBSCRIBERS  Waits until COUNT (default 1) consumers have subscribed, at most
    %   TIMEOUTMS milliseconds (default 10000, Inf = forever). Returns false on timeout; called
    %   without an output argument, a timeout raises pyacq:timeout instead.
      if nargin < 2 || isempty(count)
        count = 1;
      end
      if nargin < 3
        timeoutMs = 10000;
      end
      timeoutMs = pyacq.internal.timeoutMs(timeoutMs);
      ok = true;
      try
        pyacq_mex('output_wait_subscribers', obj.Handle, count, timeoutMs);
      catch err
        if nargout == 0 || ~strcmp(err.identifier, 'pyacq:timeout')
          rethrow(err);
        end
        ok = false;
      end
    end

    function resetIndex(obj)
    %RESETINDEX  Sets the stream index back to 0.
      pyacq_mex('output_reset_index', obj.Handle);
    end

    function close(obj)
    %CLOSE  Closes the socket (and removes a sharedmem file). The object stays valid.
      pyacq_mex('output_close', obj.Handle);
    end

    function delete(obj)
    %DELETE  Releases the handle (closing the stream if needed).
      h = obj.Handle;
      obj.Handle = uint64(0);
      pyacq.internal.destroyHandle('output_destroy', h);
    end
  end

  methods (Static, Hidden)
    function [rest, opts] = splitOptions(args)
      % Takes a trailing 'Orientation', value pair off the argument list.
      opts = struct('Orientation', 'samples-by-channels');
      rest = {};
      k = 1;
      while k <= numel(args)
        if ischar(args{k}) && strcmpi(args{k}, 'Orientation') && k < numel(args)
          opts.Orientation = args{k + 1};
          k = k + 2;
        else
          rest{end + 1} = args{k}; %#ok<AGROW>
          k = k + 1;
        end
      end
    end
  end
end
