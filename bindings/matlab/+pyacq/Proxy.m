classdef Proxy < handle
%PROXY  Reference to an object living in another process (pyacq's ObjectProxy, through libpyacq).
%
%   Proxies come from pyacq.Manager, pyacq.NodeGroup and pyacq.Node (which are proxies too);
%   this class gives the generic remote access that works on any of them:
%
%   r = p.call('method', arg1, arg2, ...)            % positional arguments
%   r = p.callKw('method', {args}, struct(kwargs), timeoutMs)
%   q = p.attr('name')                               % a new proxy to p.name (nothing is sent)
%   v = p.value()                                    % the designated object by value
%   j = p.json()                                     % the proxy marker map, as JSON text
%   p.release()                                      % drops this reference on the server
%   p.Timeout = 30000;                               % how long calls wait (ms, Inf = forever)
%
%   Every call that waits on the remote process waits at most p.Timeout milliseconds (10000 by
%   default, inherited from the object this proxy came from) and raises pyacq:timeout after;
%   the methods of the subclasses also take a trailing 'Timeout', ms pair for one call.
%
%   Arguments and keywords are converted by pyacq.internal.encode (numeric arrays become
%   numpy ndarrays, cells lists, structs dicts, proxies proxies). Results come back decoded:
%   JSON values as jsondecode gives them, ndarrays as MATLAB arrays of the same shape (1-D:
%   column), proxies as pyacq.Proxy objects (NodeGroup / Node / StreamProxy when their type is
%   known). A remote exception raises pyacq:remote:<Type> (e.g. pyacq:remote:KeyError) with the
%   remote message and traceback; pyacq_mex('last_error') has them as fields.
%
%   Deleting the object (clear, out of scope) releases the gateway handle only: the remote
%   object is not affected (as pyacq's proxies, which do not delete by default).

  properties (SetAccess = protected)
    Handle = uint64(0)   % gateway handle (uint64); 0 once deleted
  end
  properties
    Timeout = 10000      % milliseconds each remote call waits at most (Inf = forever)
  end
  properties (SetAccess = protected, Hidden)
    Owner = []           % the object this proxy came from, kept alive while the proxy lives
    DestroyCommand = 'proxy_destroy'   % the gateway command releasing Handle
  end

  methods
    function obj = Proxy(handle, owner)
    %PROXY  Wraps a gateway proxy handle (uint64, as returned by pyacq_mex commands), or
    %   the JSON text of a proxy marker map. (No argument: an empty object, for subclasses.)
      if nargin < 1
        return;
      end
      if ischar(handle)
        handle = pyacq_mex('proxy_from_json', handle);
      end
      obj.adopt(handle, 'proxy_destroy');
      if nargin > 1 && ~isempty(owner)
        obj.setOwner(owner);
      end
    end

    function set.Timeout(obj, t)
      pyacq.internal.timeoutMs(t);   % validates
      obj.Timeout = t;
    end

    function q = attr(obj, name)
    %ATTR  A new proxy to the attribute NAME of the designated object (nothing is sent).
      q = pyacq.Proxy(pyacq_mex('proxy_attr', obj.Handle, name), obj);
    end

    function v = value(obj, timeoutMs)
    %VALUE  The designated object by value (decoded), waiting up to TIMEOUTMS (default Timeout).
      if nargin < 2
        timeoutMs = obj.Timeout;
      end
      v = pyacq.internal.fromRemote(pyacq_mex('proxy_get_value', obj.Handle, pyacq.internal.timeoutMs(timeoutMs)), obj);
    end

    function r = call(obj, method, varargin)
    %CALL  Calls METHOD ('' = the designated object itself) with positional arguments.
      r = obj.callKw(method, varargin, [], obj.Timeout);
    end

    function r = callKw(obj, method, args, kwargs, timeoutMs)
    %CALLKW  Calls METHOD with ARGS (a cell: positional arguments) and KWARGS (a struct of
    %   keyword arguments, or []), waiting up to TIMEOUTMS milliseconds (default Timeout, Inf =
    %   forever; pyacq:timeout after).
      if nargin < 3
        args = {};
      end
      if nargin < 4
        kwargs = [];
      end
      if nargin < 5
        timeoutMs = obj.Timeout;
      end
      if ~iscell(args)
        error('pyacq:argument', 'callKw takes the positional arguments as a cell array');
      end
      if ~(isempty(kwargs) || (isstruct(kwargs) && isscalar(kwargs)))
        error('pyacq:argument', 'callKw takes the keyword arguments as a scalar struct');
      end
      argsJson = [];
      if ~isempty(args)
        argsJson = pyacq.internal.encode(args);
      end
      kwargsJson = [];
      if ~isempty(kwargs)
        kwargsJson = pyacq.internal.encode(kwargs);
      end
      json = pyacq_mex('proxy_call', obj.Handle, method, argsJson, kwargsJson, pyacq.internal.timeoutMs(timeoutMs));
      r = pyacq.internal.fromRemote(json, obj);
    end

    function j = json(obj)
    %JSON  The proxy marker map (rpc_addr, obj_id, ref_id, type_str, attributes) as JSON text.
      j = pyacq_mex('proxy_to_json', obj.Handle);
    end

    function m = marker(obj)
    %MARKER  This proxy as an argument value (for structs and cells passed to remote calls).
      m = struct('pyacq_raw_json__', obj.json());
    end

    function release(obj, varargin)
    %RELEASE  Releases this proxy's reference on the server (pyacq's _delete). The object
    %   stays usable only as far as the server still knows the remote object.
      [~, t] = pyacq.internal.timeoutOption(varargin, obj.Timeout);
      pyacq_mex('proxy_delete', obj.Handle, t);
    end

    function delete(obj)
    %DELETE  Releases the gateway handle (the remote object is not affected).
      h = obj.Handle;
      obj.Handle = uint64(0);
      obj.Owner = [];
      pyacq.internal.destroyHandle(obj.DestroyCommand, h);
    end
  end

  methods (Access = protected)
    function adopt(obj, handle, destroyCommand)
      % Takes ownership of gateway HANDLE, released later with DESTROYCOMMAND.
      if ~isa(handle, 'uint64') || ~isscalar(handle)
        error('pyacq:argument', 'a proxy handle is a uint64 scalar, got a %s', class(handle));
      end
      obj.Handle = handle;
      obj.DestroyCommand = destroyCommand;
    end

    function setOwner(obj, owner)
      % Keeps OWNER alive with this proxy and inherits its Timeout.
      obj.Owner = owner;
      if isa(owner, 'pyacq.Proxy') || isa(owner, 'pyacq.Manager')
        obj.Timeout = owner.Timeout;
      end
    end

    function init(obj, handle, owner, kind)
      % Constructor body of the typed proxies: HANDLE is a gateway handle of KIND ('nodegroup',
      % 'node', 'stream', 'host') or the JSON text of a proxy map (converted).
      if ischar(handle)
        if strcmp(kind, 'host')
          error('pyacq:argument', 'a host is reached through pyacq.Manager/addHost');
        end
        generic = pyacq_mex('proxy_from_json', handle);
        try
          handle = pyacq_mex([kind '_from_proxy'], generic);
        catch err
          pyacq_mex('proxy_destroy', generic);
          rethrow(err);
        end
        pyacq_mex('proxy_destroy', generic);
      end
      obj.adopt(handle, [kind '_destroy']);
      if ~isempty(owner)
        obj.setOwner(owner);
      end
    end
  end

  methods (Static, Hidden)
    function x = fromMap(m, owner)
      % The object for a decoded proxy marker map: a NodeGroup, Node or StreamProxy when the
      % type is known, else a Proxy.
      attributes = m.attributes;
      if isempty(attributes)
        attributes = {};
      end
      json = sprintf('{"___type_name___": "proxy", "rpc_addr": %s, "obj_id": %d, "ref_id": %d, "type_str": %s, "attributes": %s}', ...
                     jsonencode(m.rpc_addr), m.obj_id, m.ref_id, jsonencode(m.type_str), jsonencode(cellstr(attributes)));
      t = m.type_str;
      if ~isempty(m.attributes)
        cls = '';
      elseif ~isempty(strfind(t, 'NodeGroup''>'))
        cls = 'NodeGroup';
      elseif strncmp(t, '<class ''pyacq.nodes.', 20)
        cls = 'Node';
      elseif ~isempty(regexp(t, '(Output|Input)Stream''>$', 'once'))
        cls = 'StreamProxy';
      else
        cls = '';
      end
      switch cls
        case 'NodeGroup', x = pyacq.NodeGroup(json, owner);
        case 'Node', x = pyacq.Node(json, owner);
        case 'StreamProxy', x = pyacq.StreamProxy(json, owner);
        otherwise, x = pyacq.Proxy(json, owner);
      end
    end
  end
end
