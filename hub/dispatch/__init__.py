"""The dispatcher: queue rules as pure functions (policy) and the service layer on the database."""
