"""The default answerer: sentences scored and narrowed by the rules, a short answer first."""
