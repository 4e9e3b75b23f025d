function destroyHandle(command, h)
%DESTROYHANDLE  Releases gateway handle H with pyacq_mex(COMMAND, H) (internal helper of the
%   pyacq package, for the objects' delete methods): nothing for 0 or a non-handle value, and
%   errors are ignored (a delete method must not raise).
  if isa(h, 'uint64') && h ~= 0
    try
      pyacq_mex(command, h);
    catch
    end
  end
end
