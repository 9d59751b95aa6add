"""The cohort file: its subjects, images and options, checked before any work.

:mod:`.load` reads the file (``subjects:``, ``output:``) with :mod:`.bids` (``bids:``, with
:mod:`.sessions` for ``sessions:`` and :mod:`.participants` for ``participants:``) and
:mod:`.options` (``freesurfer:``), all adding to the findings of :mod:`.fields`;
:mod:`.placement` keeps the output apart from the inputs; :mod:`.images` checks the images
(headers read by :mod:`.headers` and checked by :mod:`.geometry`, a subject's T1 runs by
:mod:`.recon_inputs`, every byte by :mod:`.deep` with ``validate --deep``), and
:mod:`.dicom_inputs` the DICOM folders given as images; :mod:`.output`
the output folder; :mod:`.spec` holds the checked cohort.
"""
