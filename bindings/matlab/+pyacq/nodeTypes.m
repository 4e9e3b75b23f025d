function names = nodeTypes()
%NODETYPES  Node types registered in libpyacq (what NodeGroup/createNode accepts), as a cell.
  names = pyacq_mex('list_node_types');
end
