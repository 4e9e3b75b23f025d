classdef Manager < handle
%MANAGER  pyacq's Manager (through libpyacq): creates node groups (processes) on hosts.
%
%   man = pyacq.Manager('local');          % 'local' (default): served by a thread of this
%                                          % process; 'rpc': in a spawned manager process
%   ng = man.createNodeGroup('ng1');       % spawns a pyacq-nodegroup process (pyacq.NodeGroup)
%   host = man.addHost('tcp://10.0.0.2:5000');            % a pyacq-host / Python host_server
%   ng2 = man.createNodeGroup('remote1', host);           % (or the host's address)
%   man.startAllNodes(); man.stopAllNodes();
%   groups = man.listNodeGroups();         % cell of pyacq.NodeGroup
%   man.close();                           % closes every node group: their processes exit
%
%   Every call that waits on another process waits at most man.Timeout milliseconds (10000 by
%   default; Inf = forever) and raises pyacq:timeout after; each method also takes a trailing
%   'Timeout', ms pair, e.g. pyacq.Manager('rpc', 'Timeout', 30000). Node groups, nodes and
%   streams inherit the Timeout of the object they came from.
%
%   Node group processes are `pyacq-nodegroup` executables found next to libpyacq (or in
%   ../bin from it), or at $PYACQ_NODEGROUP_EXECUTABLE (setenv before creating node groups).
%   Deleting the manager (clear, delete, Octave/MATLAB exit) closes it. Node groups, nodes
%   and stream proxies keep the manager they came from alive.

  properties (SetAccess = private)
    Handle = uint64(0)   % gateway handle (uint64); 0 once deleted
    Mode = 'local'
    Closed = false
  end
  properties
    Timeout = 10000      % milliseconds each call waits at most (Inf = forever)
  end

  methods
    function obj = Manager(varargin)
      [args, t] = pyacq.internal.timeoutOption(varargin, obj.Timeout);
      mode = 'local';
      if ~isempty(args) && ~isempty(args{1})
        mode = args{1};
      end
      if ~ischar(mode) || ~any(strcmp(mode, {'local', 'rpc'}))
        error('pyacq:argument', 'the manager mode must be ''local'' or ''rpc''');
      end
      obj.Mode = mode;
      if numel(varargin) > numel(args)
        obj.Timeout = varargin{end};
      end
      obj.Handle = pyacq_mex('manager_create', mode, t);
    end

    function set.Timeout(obj, t)
      pyacq.internal.timeoutMs(t);   % validates
      obj.Timeout = t;
    end

    function ng = createNodeGroup(obj, varargin)
    %CREATENODEGROUP  createNodeGroup(name, host, options): spawns a node group process named
    %   NAME ('' or omitted: automatic) on HOST (a pyacq.Host from addHost or an address;
    %   omitted: this machine). OPTIONS (struct, optional) go to the Host, e.g.
    %   struct('executable', path).
      [args, t] = pyacq.internal.timeoutOption(varargin, obj.Timeout);
      obj.checkOpen();
      if numel(args) > 3
        error('pyacq:argument', 'too many arguments; usage: createNodeGroup([name [, host [, options]]] [, ''Timeout'', ms])');
      end
      args(end + 1:3) = {[]};
      [name, host, options] = args{1:3};
      if isa(host, 'pyacq.Proxy')
        ref = jsondecode(host.json());
        host = ref.rpc_addr;
      end
      if isstruct(options)
        options = pyacq.internal.encode(options);
      end
      ng = pyacq.NodeGroup(pyacq_mex('manager_create_nodegroup', obj.Handle, name, host, options, t), obj);
    end

    function host = addHost(obj, address, varargin)
    %ADDHOST  Connects to the Host served at ADDRESS (pyacq's get_host); returns a pyacq.Host.
      [~, t] = pyacq.internal.timeoutOption(varargin, obj.Timeout);
      obj.checkOpen();
      host = pyacq.Host(pyacq_mex('manager_add_host', obj.Handle, address, t), obj);
    end

    function groups = listNodeGroups(obj, varargin)
    %LISTNODEGROUPS  The live node groups, as a cell array of pyacq.NodeGroup.
      [~, t] = pyacq.internal.timeoutOption(varargin, obj.Timeout);
      obj.checkOpen();
      groups = pyacq.internal.fromRemote(pyacq_mex('manager_list_nodegroups', obj.Handle, t), obj);
      if isempty(groups)
        groups = cell(1, 0);
      elseif ~iscell(groups)
        groups = {groups};   % jsondecode: a list of one object is that object
      else
        groups = reshape(groups, 1, []);
      end
    end

    function p = proxy(obj)
    %PROXY  A pyacq.Proxy to the Manager itself (any Manager method through call()).
      obj.checkOpen();
      p = pyacq.Proxy(pyacq_mex('manager_proxy', obj.Handle), obj);
    end

    function startAllNodes(obj, varargin)
      [~, t] = pyacq.internal.timeoutOption(varargin, obj.Timeout);
      obj.checkOpen();
      pyacq_mex('manager_start_all_nodes', obj.Handle, t);
    end

    function stopAllNodes(obj, varargin)
      [~, t] = pyacq.internal.timeoutOption(varargin, obj.Timeout);
      obj.checkOpen();
      pyacq_mex('manager_stop_all_nodes', obj.Handle, t);
    end

    function close(obj, varargin)
    %CLOSE  Closes every node group (their processes exit; each gets at most Timeout) and, in
    %   'rpc' mode, the manager process. Idempotent; the object stays (later calls raise
    %   pyacq:state).
      [~, t] = pyacq.internal.timeoutOption(varargin, obj.Timeout);
      if obj.Closed
        return;
      end
      obj.Closed = true;
      pyacq_mex('manager_close', obj.Handle, t);
    end

    function delete(obj)
    %DELETE  Closes the manager if needed and releases the handle.
      h = obj.Handle;
      obj.Handle = uint64(0);
      obj.Closed = true;
      pyacq.internal.destroyHandle('manager_destroy', h);
    end
  end

  methods (Access = private)
    function checkOpen(obj)
      if obj.Closed
        error('pyacq:state', 'the manager is closed');
      end
    end
  end
end
