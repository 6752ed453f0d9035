// GraphiQL, served by the binary with everything it loads (no CDN). Queries and mutations go
// to POST /graphql; subscriptions to /graphql/ws over graphql-transport-ws. The headers editor's
// values travel with both: as HTTP headers, and as the `connection_init` payload of the socket
// (`{"Authorization": "Bearer …"}`), which is how the server authenticates a subscription.
(function () {
  'use strict';
  var scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  var fetcher = GraphiQL.createFetcher({
    url: '/graphql',
    subscriptionUrl: scheme + '//' + location.host + '/graphql/ws',
  });
  var defaultQuery = [
    '# Set your token in the Headers tab below:',
    '#   { "Authorization": "Bearer <token>" }',
    '# `cadre-health token --board 40 --role analyst` prints one.',
    '',
    '{',
    '  viewer { subject role board { code name } }',
    '}',
    '',
  ].join('\n');
  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: defaultQuery,
      defaultHeaders: '{\n  "Authorization": "Bearer "\n}',
      isHeadersEditorEnabled: true,
      // Tokens stay out of localStorage unless the user ticks "persist headers".
      shouldPersistHeaders: false,
    })
  );
})();
