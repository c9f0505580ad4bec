"""Story grouping: distinct articles that report the same event, whatever their outlet.

    from newsfold.stories import StoryConfig, StoryGrouper, story_tables
    grouper = StoryGrouper(StoryConfig())        # or StoryGrouper.load(folder)
    grouper.add_many(articles)                   # Article records with article_id set
    result = grouper.result(refine=True)
    grouper.save(folder)
    tables = story_tables(result)                # {"stories": ..., "story_sentences": ...}
    write_story_tables(grouper.iter_stories(), folder)   # the same tables, streamed

Stories that can no longer grow are closed and spilled to disk, so memory stays bounded on a long
stream; ``grouper.rename`` and ``grouper.result(only=...)`` serve adding to an existing corpus.

See docs/stories.md for the method.
"""
from .config import StoryConfig
from .result import StoryInfo, StoryResult, story_tables, write_story_tables
from .state import StoryState
from .stream import StoryGrouper

__all__ = ["StoryConfig", "StoryGrouper", "StoryInfo", "StoryResult", "StoryState", "story_tables",
           "write_story_tables"]
