function names = nodeTypes()
%NODETYPES  Node types registered in libpyacq (what NodeGroup/createNode accepts), as a cell.
  names = jsondecode(pyacq_mex('list_node_types'));
  if isempty(names)
    names = cell(0, 1);
  else
    names = cellstr(names);
  end
end
