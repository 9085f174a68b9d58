"""The daily report: the records of one ledger checkpoint turned into the report's data
(:mod:`~ceasefire.report.daily`, from the leaves replayed by :mod:`~ceasefire.report.records`),
its rendering as HTML, PDF and JSON (:mod:`~ceasefire.report.render`), its signed note (:mod:`~ceasefire.report.notes`) and the proof bundle that lets a party check it
without the store. Pure core: the store's glue is :mod:`ceasefire.reporting`."""
