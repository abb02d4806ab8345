//! Folders and places: a person's folders are theirs alone, and a conversation's place
//! (pinned, archived, its folder) is saved with it and listed.

use chrono::{Duration, DurationRound, Utc};
use confab_core::Place;
use uuid::Uuid;

use super::{conversation, save};
use crate::{ContextStore, Folder};

pub async fn folders_belong_to_their_owner_and_places_are_saved_and_listed(store: &dyn ContextStore) {
    let mut ctx = conversation(store, 2).await;
    let (owner, stranger) = (ctx.owner(), Uuid::new_v4());
    let now = Utc::now().duration_trunc(Duration::milliseconds(1)).unwrap();
    let folder = |name: &str, owner| Folder { id: Uuid::now_v7(), owner, name: name.into(), created_at: now };
    let (work, books, theirs) = (folder("work", owner), folder("Books", owner), folder("theirs", stranger));
    for f in [&work, &books, &theirs] {
        store.create_folder(f).await.unwrap();
    }
    let names = |folders: Vec<Folder>| folders.into_iter().map(|f| f.name).collect::<Vec<_>>();
    assert_eq!(names(store.folders(owner).await.unwrap()), ["Books", "work"], "by name, any case");
    assert!(!store.rename_folder(stranger, work.id, "mine now").await.unwrap(), "not theirs to rename");
    assert!(store.rename_folder(owner, work.id, "Work").await.unwrap());
    assert_eq!(store.folders(owner).await.unwrap()[1], Folder { name: "Work".into(), ..work.clone() });
    assert!(!store.delete_folder(stranger, books.id).await.unwrap(), "not theirs to delete");

    let listed = store.list(owner).await.unwrap();
    assert_eq!(listed[0].place, Place::default(), "a new conversation sits in the default place");
    let updated_at = listed[0].updated_at;
    let place = Place { pinned: true, archived: true, folder: Some(work.id) };
    assert!(ctx.set_place(place.clone()));
    save(store, &mut ctx).await;
    let listed = store.list(owner).await.unwrap();
    assert_eq!((&listed[0].place, listed[0].updated_at), (&place, updated_at), "moved, not made recent");
    assert_eq!(store.load(ctx.id()).await.unwrap().unwrap().row().place, place);

    // The tools a conversation allows for itself are kept on it the same way.
    assert!(ctx.allow_tools(["everything__echo", "calculator"]));
    assert!(!ctx.allow_tools(["calculator"]), "allowed already");
    save(store, &mut ctx).await;
    let allowed = store.load(ctx.id()).await.unwrap().unwrap().allowed_tools().clone();
    assert_eq!(allowed.into_iter().collect::<Vec<_>>(), ["calculator", "everything__echo"]);

    assert!(store.delete_folder(owner, work.id).await.unwrap());
    assert_eq!(names(store.folders(owner).await.unwrap()), ["Books"]);
    assert_eq!(names(store.folders(stranger).await.unwrap()), ["theirs"]);
}
