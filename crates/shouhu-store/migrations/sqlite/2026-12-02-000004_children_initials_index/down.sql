DROP INDEX children_pinyin_initials;
