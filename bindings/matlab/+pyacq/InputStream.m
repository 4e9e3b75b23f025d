classdef InputStream < handle
%INPUTSTREAM  Consuming end of a pyacq stream (libpyacq), wire-compatible with Python pyacq.
%
%   in = pyacq.InputStream()                       % spec (optional, struct or JSON): keys
%   in = pyacq.InputStream(spec, 'Orientation', o) % overriding the producer's params
%   in.connect(out)                                % an OutputStream, its params struct,
%                                                  % the params JSON of any pyacq producer, or
%                                                  % a remote node's output (StreamProxy;
%                                                  % optional 'Timeout', ms)
%   [index, data] = in.recv(1000);                 % waits at most 1000 ms (pyacq:timeout)
%   ready = in.poll(100);                          % true when a chunk is waiting
%   in.setBuffer(10000);                           % private ring buffer fed by recv
%   last = in.getData(500);                        % last 500 samples of that buffer
%   part = in.getData(start, stop);                % samples [start, stop)
%   in.close();
%
%   Received data have the MATLAB class of the stream dtype; with the default orientation a
%   chunk of shape [nsamp, nchan] arrives as an [nsamp x nchan] array.

  properties (SetAccess = private)
    Handle = uint64(0)   % gateway handle (uint64); 0 once deleted
  end
  properties
    Orientation = 'samples-by-channels'  % layout of the MATLAB arrays recv/getData return
  end

  methods
    function obj = InputStream(varargin)
      [spec, opts] = pyacq.OutputStream.splitOptions(varargin);
      obj.Orientation = opts.Orientation;
      obj.Handle = pyacq_mex('input_create', pyacq.internal.toJson(spec{:}));
    end

    function set.Orientation(obj, o)
      obj.Orientation = pyacq.internal.checkOrientation(o);
    end

    function connect(obj, source, varargin)
    %CONNECT  Connects to a producer: a pyacq.OutputStream, its params struct, params JSON, or
    %   a pyacq.StreamProxy to a remote node's output (node.output(); its params are fetched,
    %   waiting at most the proxy's Timeout or a trailing 'Timeout', ms pair).
      if isa(source, 'pyacq.StreamProxy')
        [~, t] = pyacq.internal.timeoutOption(varargin, source.Timeout);
        pyacq_mex('input_connect_stream', obj.Handle, source.Handle, t);
        return;
      end
      json = pyacq.internal.producerParams(source, ...
                                           'an OutputStream, a StreamProxy, a params struct or params JSON');
      pyacq_mex('input_connect', obj.Handle, json);
    end

    function p = params(obj)
    %PARAMS  The params this input reads with, as a struct.
      p = pyacq.internal.fromJson(pyacq_mex('input_params', obj.Handle));
    end

    function ready = poll(obj, timeoutMs)
    %POLL  True when a chunk is waiting; waits up to TIMEOUTMS (default 0, Inf = forever).
      if nargin < 2
        timeoutMs = 0;
      end
      ready = pyacq_mex('input_poll', obj.Handle, pyacq.internal.timeoutMs(timeoutMs));
    end

    function [index, data] = recv(obj, timeoutMs)
    %RECV  Next chunk: INDEX is the stream index after it. Waits up to TIMEOUTMS milliseconds
    %   (default Inf) and raises pyacq:timeout after. With one output only the index is read.
      if nargin < 2
        timeoutMs = Inf;
      end
      t = pyacq.internal.timeoutMs(timeoutMs);
      if nargout < 2
        index = pyacq_mex('input_recv', obj.Handle, t);
      else
        [index, data] = pyacq_mex('input_recv', obj.Handle, t, obj.Orientation);
      end
    end

    function [t, raw] = lastTimestamp(obj)
    %LASTTIMESTAMP  Time of the last received chunk's last sample on this process's stream clock
    %   (seconds; the producer's stamp minus the estimated clock offset) and RAW, the stamp on
    %   the producer's clock. Raises pyacq:state when the producer does not stamp chunks.
      [t, raw] = pyacq_mex('input_last_timestamp', obj.Handle);
    end

    function s = clockOffset(obj, timeoutMs)
    %CLOCKOFFSET  The producer's clock offset: struct offset (producer - local, s), uncertainty
    %   (half the shortest probe's round trip: the truth lies within offset +- uncertainty),
    %   round_trip, measured_at, probes. Waits up to TIMEOUTMS (default 2000) for the first estimate.
      if nargin < 2
        timeoutMs = 2000;
      end
      s = pyacq_mex('input_clock_offset', obj.Handle, pyacq.internal.timeoutMs(timeoutMs));
    end

    function n = emptyQueue(obj)
    %EMPTYQUEUE  Discards every queued chunk; returns how many.
      n = pyacq_mex('input_empty_queue', obj.Handle);
    end

    function setBuffer(obj, size, varargin)
    %SETBUFFER  Gives the input a private ring buffer of SIZE samples fed by every recv.
    %   Options (name/value): 'double' (default true), 'axisorder', 'fill'.
      opts = struct('size', size);
      json = pyacq.internal.toJson(opts, varargin{:});
      pyacq_mex('input_set_buffer', obj.Handle, json);
    end

    function data = getData(obj, varargin)
    %GETDATA  getData(n): the last n samples of the buffer; getData(start, stop): samples
    %   [start, stop). A copy, checked against concurrent overwrite (pyacq:overrun).
      data = pyacq_mex('input_get_data', obj.Handle, varargin{:}, obj.Orientation);
    end

    function rb = buffer(obj)
    %BUFFER  The buffer getData reads (private, or a sharedmem producer's ring) as a
    %   pyacq.RingBuffer that stays valid after the input is deleted.
      rb = pyacq.RingBuffer.wrap(pyacq_mex('input_buffer', obj.Handle), obj.Orientation);
    end

    function resetBufferIndex(obj)
    %RESETBUFFERINDEX  Sets the private buffer's indexes back to 0.
      pyacq_mex('input_reset_buffer_index', obj.Handle);
    end

    function s = stats(obj)
    %STATS  Counters: chunks_received, samples_received, samples_lost, malformed_messages,
    %   last_error.
      s = pyacq.internal.fromJson(pyacq_mex('input_stats', obj.Handle));
    end

    function close(obj)
    %CLOSE  Closes the socket. The object stays valid.
      pyacq_mex('input_close', obj.Handle);
    end

    function delete(obj)
    %DELETE  Releases the handle (closing the stream if needed).
      h = obj.Handle;
      obj.Handle = uint64(0);
      pyacq.internal.destroyHandle('input_destroy', h);
    end
  end
end
