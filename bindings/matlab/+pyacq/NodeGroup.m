classdef NodeGroup < pyacq.Proxy
%NODEGROUP  A node group: a pyacq-nodegroup process holding nodes (created by pyacq.Manager).
%
%   ng = man.createNodeGroup('ng1');
%   dev = ng.createNode('NumpyDeviceBuffer', 'dev');   % a pyacq.Node (name optional)
%   names = ng.nodeTypes();                            % node types it can create
%   nodes = ng.listNodes();                            % cell of pyacq.Node
%   pid = ng.pid();                                    % process id of the node group
%
%   Any other NodeGroup method (start_all_nodes, stop_all_nodes, any_node_running, close ...)
%   goes through call(), e.g. ng.call('any_node_running').

  methods
    function obj = NodeGroup(handle, owner)
      if nargin < 2
        owner = [];
      end
      obj@pyacq.Proxy(handle, owner);
    end

    function node = createNode(obj, typeName, name)
    %CREATENODE  Creates a node of a registered type (pyacq.nodeTypes()) named NAME (default:
    %   automatic) in this node group; returns a pyacq.Node.
      if nargin < 3
        name = [];
      end
      node = pyacq.Node(pyacq_mex('nodegroup_create_node', obj.Handle, typeName, name), obj);
    end

    function nodes = listNodes(obj)
    %LISTNODES  The nodes of this group, as a cell array of pyacq.Node.
      nodes = obj.call('list_nodes');
      if isempty(nodes)
        nodes = cell(1, 0);
      elseif ~iscell(nodes)
        nodes = {nodes};   % jsondecode: a list of one object is that object
      end
    end

    function names = nodeTypes(obj)
    %NODETYPES  The node types this group can create (cell of text).
      names = cellstr(obj.call('list_node_types'));
    end

    function p = pid(obj)
    %PID  Process id of the node group.
      a = obj.attr('pid');
      p = a.value();
    end
  end
end
