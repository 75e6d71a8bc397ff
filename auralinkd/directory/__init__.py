"""The directory: organizations, their users and users' AuraIDs (issue 3, Access)."""
