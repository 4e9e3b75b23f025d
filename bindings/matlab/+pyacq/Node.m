classdef Node < pyacq.Proxy
%NODE  A node: in a node group (pyacq's remote node usage, from pyacq.NodeGroup/createNode),
%   or in this MATLAB process (a local node, from pyacq.Node.local), with the same methods.
%
%   filt = pyacq.Node.local('SosFilter');             % runs on its own threads, in-process
%   filt.call('set_coefficients', sos);                % any node method; 'params.__setitem__'...
%   n = filt.get('total_trig');                        % a node attribute by value
%
%   dev = ng.createNode('NumpyDeviceBuffer');
%   dev.configure('nb_channel', 4, 'sample_interval', 0.001, 'chunksize', 256, ...
%                 'buffer', x);                       % or configure(struct(...)), JSON text
%   out = dev.output();                                % its only output (pyacq.StreamProxy)
%   out.configure('protocol', 'tcp', 'interface', '127.0.0.1', 'transfermode', 'plaindata');
%   dev.initialize(); dev.start(); ... dev.stop(); dev.close();
%   dev.start('Timeout', 500);                        % any of them: wait 500 ms at most
%
%   A node refusing a call raises pyacq:remote:<Type> (e.g. pyacq:remote:RuntimeError when
%   started before initialize); a node group that does not answer in time, pyacq:timeout.
%
%   configure keywords are converted to the Python values the node expects:
%     numeric / logical scalar -> number / bool      text (char row) -> str
%     [] -> None                                     struct -> dict, cell -> list
%     any other numeric or logical array -> numpy ndarray with the MATLAB class as dtype
%       (double -> float64, single -> float32, int8..uint64, logical -> bool) and the MATLAB
%       size as shape: an [n x m] matrix is an ndarray of shape (n, m) with x(i, j) at
%       [i-1, j-1] (the data is reordered into C order). A node's buffer of pyacq shape
%       (nsamples, nchannels) is therefore an nsamples x nchannels matrix (samples by
%       channels); transpose channels-by-samples data first. A 1 x k vector is shape (1, k).
%     pyacq.Proxy / pyacq.StreamProxy -> the remote object; pyacq.OutputStream -> its params.
%   A list of numbers is a cell ({0, 1, 2}), since numeric vectors become ndarrays.

  methods (Static)
    function node = local(typeName, name)
    %LOCAL  A node of type TYPENAME (e.g. 'SosFilter') in this process, named NAME (default:
    %   the type name). It is closed when the object is deleted.
      if nargin < 2
        name = [];
      end
      node = pyacq.Node(pyacq_mex('node_create_local', typeName, name), []);
    end
  end

  methods
    function obj = Node(handle, owner)
    %NODE  Wraps a gateway node handle, or the JSON text of the node's proxy map.
      if nargin < 2
        owner = [];
      end
      obj.init(handle, owner, 'node');
    end

    function configure(obj, varargin)
    %CONFIGURE  Calls the node's configure(**kwargs): a struct, name/value pairs (or both:
    %   the pairs override), or JSON text; a trailing 'Timeout', ms pair is the timeout.
      [args, t] = pyacq.internal.timeoutOption(varargin, obj.Timeout);
      pyacq_mex('node_configure', obj.Handle, pyacq.internal.kwargs(args{:}), t);
    end

    function initialize(obj, varargin)
    %INITIALIZE  Opens the node's streams (after configure and the streams' configure/connect).
      obj.lifecycle('node_initialize', varargin);
    end

    function start(obj, varargin)
      obj.lifecycle('node_start', varargin);
    end

    function stop(obj, varargin)
      obj.lifecycle('node_stop', varargin);
    end

    function close(obj, varargin)
      obj.lifecycle('node_close', varargin);
    end

    function tf = isLocal(obj)
    %ISLOCAL  True for a node living in this process.
      tf = pyacq_mex('node_is_local', obj.Handle);
    end

    function r = callKw(obj, method, args, kwargs, timeoutMs)
    %CALLKW  Calls the node method METHOD (a dotted path such as 'params.__setitem__') with
    %   ARGS (a cell) and KWARGS (a struct or []), waiting up to TIMEOUTMS (default Timeout).
      if nargin < 3, args = {}; end
      if nargin < 4, kwargs = []; end
      if nargin < 5, timeoutMs = obj.Timeout; end
      argsJson = [];
      if ~isempty(args), argsJson = pyacq.internal.encode(args); end
      kwargsJson = [];
      if ~isempty(kwargs), kwargsJson = pyacq.internal.encode(kwargs); end
      json = pyacq_mex('node_call', obj.Handle, method, argsJson, kwargsJson, pyacq.internal.timeoutMs(timeoutMs));
      r = pyacq.internal.fromRemote(json, obj);
    end

    function v = get(obj, attribute, varargin)
    %GET  The node attribute ATTRIBUTE (e.g. 'stack', 'total_trig', 'params') by value.
      [~, t] = pyacq.internal.timeoutOption(varargin, obj.Timeout);
      v = pyacq.internal.fromRemote(pyacq_mex('node_get', obj.Handle, attribute, t), obj);
    end

    function tf = running(obj)
    %RUNNING  True while the node is started.
      tf = logical(obj.call('running'));
    end

    function s = output(obj, varargin)
    %OUTPUT  A pyacq.StreamProxy to the output stream NAME (default: the node's only one).
      s = obj.stream('node_output', varargin);
    end

    function s = input(obj, varargin)
    %INPUT  A pyacq.StreamProxy to the input stream NAME (default: the node's only one).
      s = obj.stream('node_input', varargin);
    end

    function names = outputNames(obj)
    %OUTPUTNAMES  Names of the node's outputs (cell of text).
      names = pyacq.Node.nameList(obj.call('outputs.keys'));
    end

    function names = inputNames(obj)
    %INPUTNAMES  Names of the node's inputs (cell of text).
      names = pyacq.Node.nameList(obj.call('inputs.keys'));
    end
  end

  methods (Static, Access = private)
    function names = nameList(value)
      if isempty(value)
        names = cell(1, 0);
      else
        names = reshape(cellstr(value), 1, []);
      end
    end
  end

  methods (Access = private)
    function lifecycle(obj, command, options)
      [~, t] = pyacq.internal.timeoutOption(options, obj.Timeout);
      pyacq_mex(command, obj.Handle, t);
    end

    function s = stream(obj, command, args)
      [name, t] = pyacq.internal.optionalName(args, obj.Timeout, 'output / input([name] [, ''Timeout'', ms])');
      s = pyacq.StreamProxy(pyacq_mex(command, obj.Handle, name, t), obj);
    end
  end
end
