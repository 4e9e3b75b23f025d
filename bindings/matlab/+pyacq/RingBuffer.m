classdef RingBuffer < handle
%RINGBUFFER  A private ring buffer of libpyacq (pyacq.core.RingBuffer semantics).
%
%   rb = pyacq.RingBuffer(shape, dtype)            % shape = [length, frame dims...], e.g.
%                                                  % [1000 16]; dtype 'float32' by default
%   rb = pyacq.RingBuffer(shape, dtype, 'double', true, 'fill', 0, 'Orientation', o)
%   rb.newChunk(single(x));                        % x: [nsamp x 16]; index += nsamp
%   rb.newChunk(x, index);                         % buffer index after the chunk
%   last = rb.getData(100);                        % last 100 samples, [100 x 16]
%   part = rb.getData(start, stop);                % samples [start, stop)
%   i = rb.index();                                % index of the last sample written + 1

  properties (SetAccess = private)
    Handle = uint64(0)   % gateway handle (uint64); 0 once deleted
  end
  properties
    Orientation = 'samples-by-channels'  % layout of the MATLAB arrays in and out
  end

  methods
    function obj = RingBuffer(shape, dtype, varargin)
      if nargin == 0
        return;  % empty object (see wrap)
      end
      if nargin < 2 || isempty(dtype)
        dtype = 'float32';
      end
      if ~isnumeric(shape) || isempty(shape) || ~isvector(shape)
        error('pyacq:argument', 'shape must be a numeric vector [length, frame dims...]');
      end
      [rest, opts] = pyacq.OutputStream.splitOptions(varargin);
      obj.Orientation = opts.Orientation;
      json = pyacq.internal.toJson(struct('shape', shape, 'dtype', dtype), rest{:});
      obj.Handle = pyacq_mex('ringbuffer_create', json);
    end

    function set.Orientation(obj, o)
      obj.Orientation = pyacq.internal.checkOrientation(o);
    end

    function newChunk(obj, data, index)
    %NEWCHUNK  Writes a chunk so that the buffer index becomes INDEX (default: index +
    %   number of samples; skipped samples are filled).
      if nargin < 3 || isempty(index)
        index = -1;
      end
      pyacq_mex('ringbuffer_new_chunk', obj.Handle, data, index, obj.Orientation);
    end

    function data = getData(obj, varargin)
    %GETDATA  getData(n): the last n samples; getData(start, stop): samples [start, stop).
      data = pyacq_mex('ringbuffer_get_data', obj.Handle, varargin{:}, obj.Orientation);
    end

    function i = index(obj)
    %INDEX  Index of the last sample written + 1.
      i = pyacq_mex('ringbuffer_index', obj.Handle);
    end

    function i = firstIndex(obj)
    %FIRSTINDEX  Oldest sample still readable (index - length).
      [~, i] = pyacq_mex('ringbuffer_index', obj.Handle);
    end

    function s = info(obj)
    %INFO  Layout: length, frame_shape, dtype, double, index, first_index.
      s = pyacq_mex('ringbuffer_info', obj.Handle);
    end

    function resetIndex(obj)
    %RESETINDEX  Sets both indexes back to 0.
      pyacq_mex('ringbuffer_reset_index', obj.Handle);
    end

    function delete(obj)
    %DELETE  Releases this reference (the memory goes with the last one).
      h = obj.Handle;
      obj.Handle = uint64(0);
      pyacq.internal.destroyHandle('ringbuffer_destroy', h);
    end
  end

  methods (Static, Hidden)
    function rb = wrap(handle, orientation)
      % A RingBuffer object owning an existing gateway ring handle.
      rb = pyacq.RingBuffer();
      rb.Handle = handle;
      if nargin > 1
        rb.Orientation = orientation;
      end
    end
  end
end
