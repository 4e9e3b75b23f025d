classdef NodeGroup < pyacq.Proxy
%NODEGROUP  A node group: a pyacq-nodegroup process holding nodes (created by pyacq.Manager).
%
%   ng = man.createNodeGroup('ng1');
%   dev = ng.createNode('NumpyDeviceBuffer', 'dev');   % a pyacq.Node (name optional)
%   dev = ng.createNode('NumpyDeviceBuffer', 'dev', 'Timeout', 30000);
%   names = ng.nodeTypes();                            % node types it can create
%   nodes = ng.listNodes();                            % cell of pyacq.Node
%   pid = ng.pid();                                    % process id of the node group
%   ng.close();                                        % closes its nodes, ends the process
%
%   An unknown node type raises pyacq:remote:KeyError. Any other NodeGroup method
%   (start_all_nodes, stop_all_nodes, any_node_running ...) goes through call(), e.g.
%   ng.call('any_node_running').

  methods
    function obj = NodeGroup(handle, owner)
    %NODEGROUP  Wraps a gateway node group handle, or the JSON text of its proxy map.
      if nargin < 2
        owner = [];
      end
      obj.init(handle, owner, 'nodegroup');
    end

    function node = createNode(obj, typeName, varargin)
    %CREATENODE  createNode(type) / createNode(type, name): a node of a registered type
    %   (pyacq.nodeTypes()) named NAME (default: automatic) in this node group (pyacq.Node).
      [name, t] = pyacq.internal.optionalName(varargin, obj.Timeout, 'createNode(type [, name] [, ''Timeout'', ms])');
      node = pyacq.Node(pyacq_mex('nodegroup_create_node', obj.Handle, typeName, name, t), obj);
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

    function close(obj, varargin)
    %CLOSE  Closes the group's nodes and ends its process ('Timeout', ms: how long to wait).
      [~, t] = pyacq.internal.timeoutOption(varargin, obj.Timeout);
      pyacq_mex('nodegroup_close', obj.Handle, t);
    end
  end
end
