DROP INDEX dropout_cases_child;
