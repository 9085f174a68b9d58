"""Fusing reports into incidents, one module per step.

- :mod:`~ceasefire.fusion.config`: the settings (groups of event types, neighbourhoods, anchors);
- :mod:`~ceasefire.fusion.columns`: reports as the arrays fusion reads;
- :mod:`~ceasefire.fusion.matching`: the decisions both paths share (anchor, join, link);
- :mod:`~ceasefire.fusion.refine`: linked components split into incidents (average linkage);
- :mod:`~ceasefire.fusion.bulk`: :func:`~ceasefire.fusion.bulk.fuse`, every report at once;
- :mod:`~ceasefire.fusion.incremental`: :class:`~ceasefire.fusion.incremental.Fuser`, one at a
  time, the same partition: its state and the anchor path;
- :mod:`~ceasefire.fusion.coarse`: the fuser's coarse reports, decided again as incidents change;
- :mod:`~ceasefire.fusion.incidents`: the fused facts of each incident.
- :mod:`~ceasefire.fusion.identity`: which stored incident (lasting id, status) each fused
  one continues, decided without the store.
"""
