function out = classOf(name, direction)
%CLASSOF  MATLAB class <-> numpy dtype (internal helper of the pyacq package):
%   classOf('float32') -> 'single' (a canonical dtype to its class); classOf('single', 'dtype')
%   -> 'float32'. '' when there is none.
  table = {'double', 'float64'; 'single', 'float32'; 'logical', 'bool'; 'int8', 'int8'; 'uint8', 'uint8'; ...
           'int16', 'int16'; 'uint16', 'uint16'; 'int32', 'int32'; 'uint32', 'uint32'; 'int64', 'int64'; ...
           'uint64', 'uint64'};
  from = 2;
  if nargin > 1 && strcmp(direction, 'dtype')
    from = 1;
  end
  row = find(strcmp(table(:, from), name), 1);
  out = '';
  if ~isempty(row)
    out = table{row, 3 - from};
  end
end
