classdef Proxy < handle
%PROXY  Reference to an object living in another process (pyacq's ObjectProxy, through libpyacq).
%
%   Proxies come from pyacq.Manager, pyacq.NodeGroup and pyacq.Node (which are proxies too);
%   this class gives the generic remote access that works on any of them:
%
%   r = p.call('method', arg1, arg2, ...)            % positional arguments, waits 10 s at most
%   r = p.callKw('method', {args}, struct(kwargs), timeoutMs)
%   q = p.attr('name')                               % a new proxy to p.name (nothing is sent)
%   v = p.value()                                    % the designated object by value
%   j = p.json()                                     % the proxy marker map, as JSON text
%   p.release()                                      % drops this reference on the server
%
%   Arguments and keywords are converted as pyacq.Node/configure documents (numeric arrays
%   become numpy ndarrays, cells lists, structs dicts, proxies proxies). Results come back
%   decoded: JSON values as jsondecode gives them, ndarrays as MATLAB arrays of the same
%   shape (1-D: column), proxies as pyacq.Proxy objects (NodeGroup / Node / StreamProxy when
%   their type is known). Remote exceptions raise pyacq:remote with the remote message.
%
%   Deleting the object (clear, out of scope) releases the gateway handle only: the remote
%   object is not affected (as pyacq's proxies, which do not delete by default).

  properties (SetAccess = protected)
    Handle = uint64(0)   % gateway handle (uint64); 0 once deleted
  end
  properties (SetAccess = protected, Hidden)
    Owner = []           % the object this proxy came from, kept alive while the proxy lives
  end

  methods
    function obj = Proxy(handle, owner)
    %PROXY  Wraps a gateway proxy handle (uint64, as returned by pyacq_mex commands), or
    %   the JSON text of a proxy marker map.
      if nargin < 1
        error('pyacq:argument', 'pyacq.Proxy(handle) needs a proxy handle or a proxy map (JSON text)');
      end
      if ischar(handle)
        handle = pyacq_mex('proxy_from_json', handle);
      end
      if ~isa(handle, 'uint64') || ~isscalar(handle)
        error('pyacq:argument', 'a proxy handle is a uint64 scalar, got a %s', class(handle));
      end
      obj.Handle = handle;
      if nargin > 1
        obj.Owner = owner;
      end
    end

    function q = attr(obj, name)
    %ATTR  A new proxy to the attribute NAME of the designated object (nothing is sent).
      q = pyacq.Proxy(pyacq_mex('proxy_attr', obj.Handle, name), obj);
    end

    function v = value(obj, timeoutMs)
    %VALUE  The designated object by value (decoded), waiting up to TIMEOUTMS (default 10000).
      if nargin < 2
        timeoutMs = 10000;
      end
      v = pyacq.internal.fromRemote(pyacq_mex('proxy_get_value', obj.Handle, pyacq.internal.timeoutMs(timeoutMs)), obj);
    end

    function r = call(obj, method, varargin)
    %CALL  Calls METHOD ('' = the designated object itself) with positional arguments.
      r = obj.callKw(method, varargin, [], 10000);
    end

    function r = callKw(obj, method, args, kwargs, timeoutMs)
    %CALLKW  Calls METHOD with ARGS (a cell: positional arguments) and KWARGS (a struct of
    %   keyword arguments, or []), waiting up to TIMEOUTMS milliseconds (default 10000, Inf =
    %   forever; pyacq:timeout after).
      if nargin < 3
        args = {};
      end
      if nargin < 4
        kwargs = [];
      end
      if nargin < 5
        timeoutMs = 10000;
      end
      if ~iscell(args)
        error('pyacq:argument', 'callKw takes the positional arguments as a cell array');
      end
      if ~(isempty(kwargs) || (isstruct(kwargs) && isscalar(kwargs)))
        error('pyacq:argument', 'callKw takes the keyword arguments as a scalar struct');
      end
      args = pyacq.internal.encodeArg(args);
      if isempty(kwargs)
        kwargs = [];
      else
        kwargs = pyacq.internal.encodeArg(kwargs);
      end
      if isempty(args)
        args = [];   % an empty cell: no arguments
      end
      json = pyacq_mex('proxy_call', obj.Handle, method, args, kwargs, pyacq.internal.timeoutMs(timeoutMs));
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

    function release(obj)
    %RELEASE  Releases this proxy's reference on the server (pyacq's _delete). The object
    %   stays usable only as far as the server still knows the remote object.
      pyacq_mex('proxy_delete', obj.Handle);
    end

    function delete(obj)
    %DELETE  Releases the gateway handle (the remote object is not affected).
      h = obj.Handle;
      obj.Handle = uint64(0);
      obj.Owner = [];
      pyacq.internal.destroyHandle('proxy_destroy', h);
    end
  end
end
