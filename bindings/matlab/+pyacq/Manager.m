classdef Manager < handle
%MANAGER  pyacq's Manager (through libpyacq): creates node groups (processes) on hosts.
%
%   man = pyacq.Manager('local');          % 'local' (default): served by a thread of this
%                                          % process; 'rpc': in a spawned manager process
%   ng = man.createNodeGroup('ng1');       % spawns a pyacq-nodegroup process (pyacq.NodeGroup)
%   host = man.addHost('tcp://10.0.0.2:5000');            % a pyacq-host / Python host_server
%   ng2 = man.createNodeGroup('remote1', 'tcp://10.0.0.2:5000');
%   man.startAllNodes(); man.stopAllNodes();
%   groups = man.listNodeGroups();         % cell of pyacq.NodeGroup
%   man.close();                           % closes every node group: their processes exit
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

  methods
    function obj = Manager(mode)
      if nargin < 1 || isempty(mode)
        mode = 'local';
      end
      if ~ischar(mode) || ~any(strcmp(mode, {'local', 'rpc'}))
        error('pyacq:argument', 'the manager mode must be ''local'' or ''rpc''');
      end
      obj.Mode = mode;
      obj.Handle = pyacq_mex('manager_create', mode);
    end

    function ng = createNodeGroup(obj, name, host, options)
    %CREATENODEGROUP  Spawns a node group process named NAME ('' or omitted: automatic) on
    %   HOST (an address given to addHost or the proxy it returned; omitted: this machine).
    %   OPTIONS (struct, optional) go to the Host, e.g. struct('executable', path).
      obj.checkOpen();
      if nargin < 2
        name = [];
      end
      if nargin < 3 || isempty(host)
        host = [];
      elseif isa(host, 'pyacq.Proxy')
        ref = jsondecode(host.json());
        host = ref.rpc_addr;
      end
      if nargin < 4
        options = [];
      end
      ng = pyacq.NodeGroup(pyacq_mex('manager_create_nodegroup', obj.Handle, name, host, options), obj);
    end

    function host = addHost(obj, address)
    %ADDHOST  Connects to the Host served at ADDRESS (pyacq's get_host); returns a pyacq.Proxy.
      obj.checkOpen();
      host = pyacq.Proxy(pyacq_mex('manager_add_host', obj.Handle, address), obj);
    end

    function groups = listNodeGroups(obj)
    %LISTNODEGROUPS  The live node groups, as a cell array of pyacq.NodeGroup.
      obj.checkOpen();
      ids = pyacq_mex('manager_list_nodegroups', obj.Handle);
      groups = cell(1, numel(ids));
      for k = 1:numel(ids)
        groups{k} = pyacq.NodeGroup(ids(k), obj);
      end
    end

    function p = proxy(obj)
    %PROXY  A pyacq.Proxy to the Manager itself (any Manager method through call()).
      obj.checkOpen();
      p = pyacq.Proxy(pyacq_mex('manager_proxy', obj.Handle), obj);
    end

    function startAllNodes(obj)
      obj.checkOpen();
      pyacq_mex('manager_start_all_nodes', obj.Handle);
    end

    function stopAllNodes(obj)
      obj.checkOpen();
      pyacq_mex('manager_stop_all_nodes', obj.Handle);
    end

    function close(obj)
    %CLOSE  Closes every node group (their processes exit) and, in 'rpc' mode, the manager
    %   process. Idempotent; the object stays (later calls raise pyacq:state).
      if obj.Closed
        return;
      end
      obj.Closed = true;
      pyacq_mex('manager_close', obj.Handle);
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
