"""CRM notes after a call: a team's HubSpot or Salesforce connection gets one note per call
(its figures and tips, never its words), through the webhooks' outbox and relay."""
