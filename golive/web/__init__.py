"""The web edge: the REST API under ``/api/v1`` and the dashboard, served by
``golive serve``. Like the CLI it parses, calls the service layer and renders;
it holds no rule. Every route names the action it takes (:class:`Require`),
and the one table of who may take which action is :mod:`golive.auth.principal`."""
