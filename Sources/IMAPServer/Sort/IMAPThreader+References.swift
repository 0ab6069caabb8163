/// THREAD=REFERENCES (RFC 5256 §3, after Jamie Zawinski's algorithm), on an array of containers linked by index.
extension IMAPThreader {
    private struct Container {
        /// Index into the messages; nil for a dummy.
        var message: Int?
        var parent: Int?
        var children: [Int] = []
    }

    public static func references(_ messages: [IMAPSortValues], uid: Bool) -> [IMAPThreadNode] {
        var containers: [Container] = []
        var byID: [String: Int] = [:]
        func container(for id: String) -> Int {
            if let known = byID[id] { return known }
            containers.append(Container(message: nil, parent: nil))
            byID[id] = containers.count - 1
            return containers.count - 1
        }
        /// True when `node` is `ancestor` or lies below it.
        func isDescendant(_ node: Int, of ancestor: Int) -> Bool {
            var current: Int? = node, steps = 0
            while let here = current, steps <= containers.count {
                if here == ancestor { return true }
                current = containers[here].parent
                steps += 1
            }
            return false
        }
        func link(_ child: Int, to parent: Int?) {
            if let old = containers[child].parent { containers[old].children.removeAll { $0 == child } }
            containers[child].parent = parent
            if let parent { containers[parent].children.append(child) }
        }

        // Step 1: a container per message and per referenced id, linked along each References chain.
        for (index, message) in messages.enumerated() {
            var own: Int
            if let id = message.messageID, let known = byID[id], containers[known].message == nil {
                own = known
                containers[own].message = index
            } else {
                containers.append(Container(message: index, parent: nil))
                own = containers.count - 1
                if let id = message.messageID, byID[id] == nil { byID[id] = own }
            }
            let chain = message.references.map(container(for:))
            for (parent, child) in zip(chain, chain.dropFirst())
            where containers[child].parent == nil && parent != child && !isDescendant(parent, of: child) {
                link(child, to: parent)
            }
            if let last = chain.last, !isDescendant(last, of: own) {
                link(own, to: last)
            } else {
                link(own, to: nil)
            }
        }

        // Steps 2 and 4: the root set, dummies pruned.
        let roots = containers.indices.filter { containers[$0].parent == nil }
        var trees = prune(roots.map { tree($0, containers, messages) }, atRoot: true)

        // Step 5: every level ordered by date (a dummy by its first child), the roots too.
        trees = trees.map { sortedChildren($0, messages) }.sorted { earlier($0, $1, messages) }

        // Step 6: roots with the same base subject gathered.
        trees = mergedBySubject(trees, messages)
        return trees.map { node(for: sortedChildren($0, messages), messages, uid: uid) }
    }

    /// A subtree over message indexes (dummies have none), built without recursion.
    struct Tree {
        var message: Int?
        var children: [Tree]
    }

    private static func tree(_ root: Int, _ containers: [Container], _ messages: [IMAPSortValues]) -> Tree {
        func build(_ index: Int, depth: Int) -> Tree {
            // Below 1,000 levels the rest of a thread hangs flat from the last node (this bounds the stack).
            guard depth < 1_000 else {
                var flat: [Tree] = [], stack = containers[index].children
                while let next = stack.popLast() {
                    flat.append(Tree(message: containers[next].message, children: []))
                    stack += containers[next].children
                }
                return Tree(message: containers[index].message, children: flat)
            }
            return Tree(message: containers[index].message, children: containers[index].children.map { build($0, depth: depth + 1) })
        }
        return build(root, depth: 0)
    }

    /// Step 4: dummies without children go; a dummy's children take its place, except at the root where a
    /// dummy with several children stays.
    static func prune(_ nodes: [Tree], atRoot: Bool) -> [Tree] {
        var out: [Tree] = []
        for var node in nodes {
            node.children = prune(node.children, atRoot: false)
            if node.message != nil { out.append(node); continue }
            if node.children.isEmpty { continue }
            if atRoot && node.children.count > 1 { out.append(node) } else { out += node.children }
        }
        return out
    }

    private static func sortedChildren(_ tree: Tree, _ messages: [IMAPSortValues]) -> Tree {
        var tree = tree
        tree.children = tree.children.map { sortedChildren($0, messages) }.sorted { earlier($0, $1, messages) }
        return tree
    }

    /// The message a node is dated and titled by: its own, or a dummy's first child's.
    static func representative(_ tree: Tree) -> Int? {
        var current = tree
        while current.message == nil, let first = current.children.first { current = first }
        return current.message
    }

    static func earlier(_ a: Tree, _ b: Tree, _ messages: [IMAPSortValues]) -> Bool {
        guard let x = representative(a), let y = representative(b) else { return representative(a) != nil }
        return IMAPSorter.byDate(messages[x], messages[y])
    }

    /// Step 6: a root whose base subject another root has is put under it, beside it under a dummy, or its
    /// children joined to the other's, as RFC 5256 §3 (REFERENCES 6) says.
    static func mergedBySubject(_ roots: [Tree], _ messages: [IMAPSortValues]) -> [Tree] {
        var roots: [Tree?] = roots
        var table: [[UInt8]: Int] = [:]
        func subject(_ tree: Tree) -> IMAPBaseSubject? { representative(tree).map { messages[$0].subject } }
        for (index, root) in roots.enumerated() {
            guard let root, let title = subject(root), !title.key.isEmpty else { continue }
            guard let held = table[title.key], let other = roots[held], let otherTitle = subject(other) else {
                table[title.key] = index
                continue
            }
            if (root.message == nil && other.message != nil)
                || (root.message != nil && other.message != nil && otherTitle.isReplyOrForward && !title.isReplyOrForward) {
                table[title.key] = index
            }
        }
        for index in roots.indices {
            guard let root = roots[index], let title = subject(root), !title.key.isEmpty,
                  let held = table[title.key], held != index, var other = roots[held] else { continue }
            let otherTitle = subject(other)
            if root.message == nil && other.message == nil {
                other.children += root.children
            } else if other.message == nil {
                other.children.append(root)
            } else if root.message == nil {
                var dummy = root
                dummy.children.append(other)
                other = dummy
            } else if !(otherTitle?.isReplyOrForward ?? false) && title.isReplyOrForward {
                other.children.append(root)
            } else if (otherTitle?.isReplyOrForward ?? false) && !title.isReplyOrForward {
                var parent = root
                parent.children.append(other)
                other = parent
            } else {
                other = Tree(message: nil, children: [other, root])
            }
            roots[held] = other
            roots[index] = nil
        }
        return roots.compactMap { $0 }
    }

    private static func node(for tree: Tree, _ messages: [IMAPSortValues], uid: Bool) -> IMAPThreadNode {
        IMAPThreadNode(id: tree.message.map { id(messages[$0], uid) }, children: tree.children.map { node(for: $0, messages, uid: uid) })
    }
}
