"""The campaign app's forms: ``campaign`` (campaigns, their lifecycle, phases, milestones, playbooks) and ``work``
(tasks, dependencies, KPIs and their readings, channels)."""
