function o = checkOrientation(o)
%CHECKORIENTATION  Validates an orientation name (internal helper of the pyacq package).
  if ~ischar(o) || ~any(strcmpi(o, {'samples-by-channels', 'channels-by-samples'}))
    error('pyacq:argument', 'Orientation must be ''samples-by-channels'' or ''channels-by-samples''');
  end
  o = lower(o);
end
