"""Strike tallies: the parties' and the mission's counts of air attacks, checked and reconciled.

:mod:`~ceasefire.tallies.model` reads and writes a tally (:class:`Tally`, :func:`read_tally`);
:mod:`~ceasefire.tallies.checks` flags what cannot add up; :mod:`~ceasefire.tallies.rates`
derives interception and hit rates; :mod:`~ceasefire.tallies.reconcile` sets the accounts of one
attack side by side and against the mission's own record. :mod:`~ceasefire.tallies.files` reads
and writes them as JSON Lines and CSV; :mod:`~ceasefire.tallies.community` imports the community
data set of Air Force figures and keeps its upstream edits as versions. Counts are intervals
(:class:`ceasefire.counts.Count`) throughout. The core: nothing here reads the store.
"""
