"""The staff dashboard: progress of the plans of a Sở/Phòng's area, late units and reminders,
exports — a server-rendered Sanic app beside Rasa (``python -m dashboard``)."""
