function n = call_with_garbage(command, sets)
%CALL_WITH_GARBAGE  Calls pyacq_mex(COMMAND, set{:}) for each argument set in SETS (a cell of
%   cells). A call may succeed; one that fails must fail with a 'pyacq:' identifier (not crash
%   or raise a bare Octave/MATLAB error). Returns how many calls failed.
  n = 0;
  for g = 1:numel(sets)
    try
      pyacq_mex(command, sets{g}{:});
    catch err
      check(strncmp(err.identifier, 'pyacq:', 6), '%s with argument set %d: identifier "%s" (%s)', ...
            command, g, err.identifier, err.message);
      n = n + 1;
    end
  end
end
