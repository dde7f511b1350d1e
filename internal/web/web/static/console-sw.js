// Mitra staff inbox's service worker. It exists only so a phone's browser
// can show the inbox's notifications (Chrome on Android lets only a
// service worker show one), and so tapping one opens the inbox. It caches
// nothing and handles no requests.
'use strict';

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = (event.notification.data && event.notification.data.url) || '/console';
  event.waitUntil((async () => {
    const open = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    for (const c of open) {
      if (new URL(c.url).pathname.startsWith('/console') && 'focus' in c) return c.focus();
    }
    return self.clients.openWindow(url);
  })());
});
