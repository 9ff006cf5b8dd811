DROP INDEX children_updated;
