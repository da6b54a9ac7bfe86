"""The CLI as a client of ``golive serve``: with ``GOLIVE_SERVER`` and
``GOLIVE_TOKEN`` (or after ``golive login URL``), the release, decide, sign-off,
rollout, audit and report commands act through the REST API as the token's user.

It is built so that the output is the same as on the machine:

- :class:`~golive.client.remote.RemoteStore` reads a release (its row, its
  events, its runbook snapshots) through the API, so the same fold, decision,
  status and report code runs on the same log;
- :class:`~golive.client.remote.RemoteReleaseService` and
  :class:`~golive.client.remote.RemoteRolloutService` send every action to the
  server, which decides (who may, and whether now), and then read the new state;
- the server's error (JSON with a stable code) becomes the same golive error,
  so the message and the exit code are the CLI's own.
"""
