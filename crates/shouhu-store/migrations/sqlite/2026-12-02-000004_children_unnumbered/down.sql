DROP INDEX children_unnumbered;
