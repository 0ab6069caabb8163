import Foundation
import Testing
import ShoalTestFixtures

/// The webmail on a real mail node, driven by Python's http.client with imaplib on the same node: what the
/// web does is what IMAP sees.
@Suite(.serialized) struct WebmailFlowTests {
    @Test func signInReadFlagSendDeleteSignOut() async throws {
        let node = try await WebmailNodeFixture.start(host: "127.0.200.1")
        defer { node.stop() }
        let f = try await node.client("flow")
        #expect(f["anonymous_mail_status"] as? Int == 303)
        #expect(f["anonymous_mail_location"] as? String == "/login")
        #expect(f["wrong_password_status"] as? Int == 401)
        #expect(f["wrong_password_cookie"] is NSNull)
        #expect(f["sign_in_status"] as? Int == 303)
        #expect(f["sign_in_location"] as? String == "/mail")
        let cookie = f["set_cookie"] as? String ?? ""
        for attribute in ["__Host-shoal-webmail=", "Path=/", "HttpOnly", "SameSite=Strict", "Secure"] {
            #expect(cookie.contains(attribute), "Set-Cookie lacks \(attribute): \(cookie)")
        }
        #expect(f["cookie_changed"] as? Bool == true)
        #expect(f["list_status"] as? Int == 200)
        #expect((f["csp"] as? String)?.contains("script-src 'none'") == true)
        #expect(f["list_has_subjects"] as? Bool == true)
        #expect(f["inbox_unread"] as? String == "2")
        #expect(f["search_finds"] as? Bool == true)
        #expect(f["sorted_by_subject"] as? Bool == true)
        #expect(f["read_status"] as? Int == 200)
        #expect(f["read_shows_body"] as? Bool == true)
        #expect((f["imap_flags_after_read"] as? String)?.contains("\\Seen") == true)
        #expect(f["flag_without_token_status"] as? Int == 403)
        #expect(f["flag_with_wrong_token_status"] as? Int == 403)
        #expect(f["flag_cross_origin_status"] as? Int == 403)
        #expect((f["imap_flags_after_refused"] as? String)?.contains("\\Flagged") == false)
        #expect(f["flag_status"] as? Int == 303)
        #expect((f["imap_flags_after_flag"] as? String)?.contains("\\Flagged") == true)
        let afterUnseen = f["imap_flags_after_unseen"] as? String ?? ""
        #expect(afterUnseen.contains("\\Flagged") && !afterUnseen.contains("\\Seen"), "\(afterUnseen)")
        #expect(f["overlong_subject_status"] as? Int == 400)
        #expect(f["send_status"] as? Int == 303)
        #expect(f["bob_inbox"] as? [String] == ["Webmail hello"])
        #expect(f["alice_sent"] as? [String] == ["Webmail hello"])
        #expect(f["reply_prefilled"] as? Bool == true)
        #expect(f["delete_status"] as? Int == 303)
        #expect(f["inbox_after_delete"] as? [String] == ["Quarterly report"])
        #expect(f["trash_after_delete"] as? [String] == ["Lunch plans"])
        #expect(f["admin_page_for_admin"] as? Int == 200)
        #expect(f["admin_page_for_user"] as? Int == 403)
        #expect(f["admin_api_for_user"] as? Int == 403)
        #expect(f["admin_delete_for_user"] as? Int == 403)
        #expect(f["logout_status"] as? Int == 303)
        #expect((f["logout_set_cookie"] as? String)?.contains("Max-Age=0") == true)
        #expect(f["after_logout_status"] as? Int == 303)
    }

    @Test func theAdministratorAddsAUserWhoSignsInAndReceivesMail() async throws {
        let node = try await WebmailNodeFixture.start(host: "127.0.200.2")
        defer { node.stop() }
        let f = try await node.client("admin")
        #expect(f["admin_lists_bob"] as? Bool == true)
        #expect(f["add_status"] as? Int == 303)
        #expect(f["add_location"] as? String == "/admin?notice=added")
        #expect(f["search_shows_dave"] as? Bool == true)
        #expect(f["api_logins"] as? [String] == ["alice", "bob", "dave"])
        #expect(f["dave_sign_in_status"] as? Int == 303)
        #expect(f["send_to_dave_status"] as? Int == 303)
        #expect(f["dave_sees_welcome"] as? Bool == true)
        #expect(f["edit_page_status"] as? Int == 200)
        #expect(f["edit_page_shows_address"] as? Bool == true)
        #expect(f["update_without_token_status"] as? Int == 403)
        #expect(f["update_by_user_status"] as? Int == 403)
        #expect(f["update_overlong_quota_status"] as? Int == 400)
        #expect(f["update_status"] as? Int == 303)
        #expect(f["update_location"] as? String == "/admin/user?login=dave&notice=updated")
        let dave = f["dave_after_update"] as? [String: Any] ?? [:]
        #expect(dave["addresses"] as? [String] == ["dave@shoal.test", "dave.alias@shoal.test"], "\(dave)")
        #expect(dave["quotaBytes"] as? Int == 5 * 1024 * 1024 && dave["quotaMessages"] as? Int == 100, "\(dave)")
        #expect(f["dave_sees_alias_mail"] as? Bool == true)
        #expect(f["disable_status"] as? Int == 303)
        #expect(f["disabled_session_status"] as? Int == 303)  // back to the sign-in page
        #expect(f["disabled_sign_in_status"] as? Int == 401)
        #expect(f["disabled_imap_login"] as? Bool == false)
        #expect(f["disabled_submission_login"] as? Bool == false)
        #expect(f["disable_self_status"] as? Int == 400)
        #expect(f["enable_status"] as? Int == 303)
        #expect(f["enabled_sign_in_status"] as? Int == 303)
        #expect(f["enabled_imap_login"] as? Bool == true)
        #expect(f["enabled_submission_login"] as? Bool == true)
        #expect(f["password_status"] as? Int == 303)
        #expect(f["dave_after_password_change"] as? Int == 303)
        #expect(f["dave_new_password_status"] as? Int == 303)
        #expect(f["delete_status"] as? Int == 303)
        #expect(f["dave_after_delete_status"] as? Int == 401)
        #expect(f["api_session_csrf_matches"] as? Bool == true)
        #expect(f["api_update_status"] as? Int == 200)
        #expect((f["api_update_type"] as? String)?.hasPrefix("application/json") == true)
        let bob = f["api_update_user"] as? [String: Any] ?? [:]
        #expect(bob["addresses"] as? [String] == ["bob@shoal.test", "robert@shoal.test"] && bob["quotaBytes"] as? Int == 7 * 1024 * 1024, "\(bob)")
        let badQuota = f["api_bad_quota"] as? [Any] ?? []
        #expect(badQuota.first as? Int == 400 && (badQuota.last as? String)?.hasPrefix("quota_mb:") == true, "\(badQuota)")
        #expect(f["api_no_such_user_status"] as? Int == 404)
        #expect(f["api_without_token_status"] as? Int == 403)
        #expect(f["api_session_for_user_status"] as? Int == 403)
        let audit = try String(contentsOfFile: node.base + "/audit.log", encoding: .utf8)
        #expect(audit.contains("admin=alice action=add user=dave"))
        #expect(audit.contains("admin=alice action=password user=dave"))
        #expect(audit.contains("admin=alice action=delete user=dave"))
        for action in ["aliases", "quota", "disable", "enable"] {
            #expect(audit.contains("admin=alice action=\(action) user=dave"), "\(action) not audited: \(audit)")
        }
    }

    /// Viewing an unread message renames its file (\Seen); the node's kept listing follows its own rename instead
    /// of being scanned again, and still shows at once what others renamed.
    @Test func aFlagChangeIsSeenAtOnceOnAnotherNodeAndOthersRenamesStillShow() async throws {
        let node = try await WebmailNodeFixture.start(host: "127.0.200.6")
        defer { node.stop() }
        let other = try await WebmailNodeFixture.start(host: "127.0.200.7", sharing: node)
        defer { other.stop() }
        let f = try await node.client("flags", imapOf: other, extra: ["other": other.url, "mail": node.base + "/mail"])
        #expect(f["uids"] as? Int == 4)
        #expect(f["unread_before"] as? Int == 4)
        #expect(f["view_status"] as? Int == 200)
        #expect((f["imap_flags_after_view"] as? String)?.contains("\\Seen") == true, "\(f["imap_flags_after_view"] ?? "")")
        #expect(f["unread_second_view"] as? Int == 3)
        #expect(f["unread_other_node"] as? Int == 3)
        #expect(f["unread_after_other_imap"] as? Int == 2)
        #expect(f["renamed_by_hand"] as? Int == 1)
        #expect(f["unread_after_rename"] as? Int == 1)
        let flagged = f["imap_flags_after_flag"] as? String ?? ""
        #expect(flagged.contains("\\Flagged") && flagged.contains("\\Seen"), "\(flagged)")

        // The list as threads (the IMAP server's THREAD=REFERENCES), newest thread first.
        let t = try await node.client("threads")
        #expect(t["thread_status"] as? Int == 200)
        #expect(t["thread_link"] as? Bool == true)
        let rows = (t["thread_rows"] as? [[Any]] ?? []).map { "\($0.first ?? "")/\($0.last ?? "")" }
        #expect(rows == ["Other/0", "Plan/0", "Re: Plan/1", "Re: Plan/2"], "\(rows)")
    }

    /// The kept subject and sender orders (`SortedOrderCache`) follow the folder: a new message and an expunge show at once.
    @Test func sortedOrdersFollowTheFolder() async throws {
        let node = try await WebmailNodeFixture.start(host: "127.0.204.2")
        defer { node.stop() }
        let f = try await node.client("sortcache")
        #expect(f["first"] as? [String] == ["Figs", "Kiwis", "Melons"], "\(f)")
        #expect(f["again"] as? [String] == ["Figs", "Kiwis", "Melons"], "\(f)")
        #expect(f["by_sender"] as? [String] == ["Kiwis", "Figs", "Melons"], "\(f)")
        #expect(f["after_new"] as? [String] == ["Apples", "Figs", "Kiwis", "Melons"], "\(f)")
        #expect(f["by_sender_after_new"] as? [String] == ["Kiwis", "Apples", "Figs", "Melons"], "\(f)")
        #expect(f["after_expunge"] as? [String] == ["Apples", "Figs", "Melons"], "\(f)")
    }

    /// The administration as JSON for scripts (Python's urllib.request): every operation of the pages, refusals
    /// with the field named, administrators only, each change in the directory and the audit log.
    @Test func theAdministrationJSONAPIServesScripts() async throws {
        let node = try await WebmailNodeFixture.start(host: "127.0.200.8")
        defer { node.stop() }
        let f = try await node.client("api")
        func result(_ key: String) -> (status: Int?, body: [String: Any]) {
            let pair = f[key] as? [Any] ?? []
            return (pair.first as? Int, pair.last as? [String: Any] ?? [:])
        }
        #expect(f["anonymous_status"] as? Int == 401)
        let added = result("add")
        #expect(added.status == 201 && added.body["login"] as? String == "erin", "\(added)")
        #expect(added.body["quotaBytes"] as? Int == 3 * 1024 * 1024 && added.body["addresses"] as? [String] == ["erin@shoal.test"], "\(added)")
        #expect(f["add_again"] as? Int == 409)
        let badQuota = result("add_bad_quota")
        #expect(badQuota.status == 400 && (badQuota.body["error"] as? String)?.hasPrefix("quota_mb:") == true, "\(badQuota)")
        #expect(f["add_without_token"] as? Int == 403)
        #expect(f["search"] as? [String] == ["erin"])
        #expect(result("alias").body["addresses"] as? [String] == ["erin@shoal.test", "erin.alias@shoal.test", "e@shoal.test"], "\(result("alias"))")
        #expect(result("alias_remove").body["addresses"] as? [String] == ["erin@shoal.test", "erin.alias@shoal.test"])
        #expect(f["alias_taken"] as? Int == 409)
        let badAlias = result("alias_bad")
        #expect(badAlias.status == 400 && (badAlias.body["error"] as? String)?.hasPrefix("add:") == true, "\(badAlias)")
        let quota = result("quota")
        #expect(quota.body["quotaBytes"] as? Int == 5 * 1024 * 1024 && quota.body["quotaMessages"] as? Int == 50, "\(quota)")
        let noQuota = result("quota_none")
        #expect(noQuota.status == 200 && noQuota.body["quotaBytes"] == nil && noQuota.body["quotaMessages"] == nil, "\(noQuota)")
        #expect(result("disable").body["enabled"] as? Bool == false)
        #expect(f["disabled_sign_in"] as? Bool == true)
        #expect(f["disable_self"] as? Int == 400)
        #expect(result("enable").body["enabled"] as? Bool == true)
        #expect(f["enabled_sign_in"] as? Bool == true)
        #expect(result("password").status == 200)
        #expect(f["short_password"] as? Int == 400)
        #expect(f["new_password_sign_in"] as? Bool == true)
        #expect(f["unknown_user"] as? Int == 404)
        let sizes = f["sizes"] as? [[String: Any]] ?? []
        #expect(sizes.count == 1 && sizes.first?["login"] as? String == "erin", "\(sizes)")
        #expect(sizes.first?["messages"] as? Int == 1 && (sizes.first?["bytes"] as? Int ?? 0) > 5000, "\(sizes)")
        #expect(f["sizes_for_user"] as? Int == 403)
        #expect(f["add_for_user"] as? Int == 403)
        #expect(result("delete").body["deleted"] as? String == "erin")
        #expect(f["delete_again"] as? Int == 404)
        #expect(f["deleted_sign_in"] as? Bool == true)
        #expect(f["logins"] as? [String] == ["alice", "bob"])
        let audit = try String(contentsOfFile: node.base + "/audit.log", encoding: .utf8)
        for action in ["add", "aliases", "quota", "disable", "enable", "password", "delete"] {
            #expect(audit.contains("admin=alice action=\(action) user=erin"), "\(action) not audited: \(audit)")
        }
        #expect(!audit.contains("user=nobody") && !audit.contains("user=mallory") && !audit.contains("user=frank"), "\(audit)")
    }

    @Test func composeUploadsFilesThatTheRecipientReadsOverIMAP() async throws {
        let node = try await WebmailNodeFixture.start(host: "127.0.200.5")
        defer { node.stop() }
        let f = try await node.client("upload")
        #expect(f["compose_is_multipart"] as? Bool == true)
        #expect(f["upload_without_token_status"] as? Int == 403)
        #expect(f["upload_too_large_status"] as? Int == 400)
        #expect(f["upload_too_many_status"] as? Int == 400)
        #expect(f["upload_elsewhere_status"] as? Int == 400)
        #expect(f["upload_status"] as? Int == 303)
        #expect(f["bob_uploads"] as? Int == 1)  // the refused posts sent nothing
        #expect(f["bob_attachment_names"] as? [String] == ["data.bin", "notes äöü.txt"], "\(f["bob_structure"] ?? "")")
        #expect(f["bob_binary_matches"] as? Bool == true)
        #expect(f["bob_text_matches"] as? Bool == true)
        #expect(f["alice_sent"] as? [String] == ["With attachments"])
    }

    @Test func hostileMessagesAreShownSafely() async throws {
        let node = try await WebmailNodeFixture.start(host: "127.0.200.3")
        defer { node.stop() }
        let f = try await node.client("hostile")
        #expect(f["list_escapes_headers"] as? Bool == true)
        #expect(f["read_status"] as? Int == 200)
        #expect((f["csp"] as? String)?.hasSuffix("img-src 'self'") == true)
        for fact in ["no_script", "no_handlers", "no_javascript_url", "no_iframe_form_svg", "no_remote_image", "offers_images", "keeps_formatting"] {
            #expect(f[fact] as? Bool == true, "\(fact)")
        }
        #expect((f["csp_with_images"] as? String)?.contains("img-src 'self' https: http:") == true)
        #expect(f["big_status"] as? Int == 200)
        #expect((f["big_length"] as? Int ?? 0) > 10_000_000)
        #expect(f["download_status"] as? Int == 200)
        #expect(f["download_type"] as? String == "application/octet-stream")
        let disposition = f["download_disposition"] as? String ?? ""
        #expect(disposition.hasPrefix("attachment; filename=\""), "\(disposition)")
        #expect(!disposition.contains("/") && disposition.components(separatedBy: "\"").count == 3, "\(disposition)")
        #expect(f["download_body"] as? String == "<script>alert(1)</script>")
        #expect(f["forward_status"] as? Int == 303)
        #expect((f["bob_forward_structure"] as? String)?.uppercased().contains("\"MESSAGE\" \"RFC822\"") == true, "\(f["bob_forward_structure"] ?? "")")
    }
}

/// Headless Chromium through chromium-driver and python3-selenium: sign in, read a hostile message while a canary
/// server proves no script ran and no remote request was made, send to bob (seen over IMAP), sign out.
@Suite struct WebmailBrowserTests {
    @Test func chromiumSignsInReadsSendsAndSignsOut() async throws {
        _ = try requiredTool("chromium", package: "chromium")
        _ = try requiredTool("chromedriver", package: "chromium-driver")
        // Debian's python3 has python3-selenium; a python3 earlier on PATH (pyenv, venv) may not.
        var python: String?
        for candidate in ["/usr/bin/python3", try PythonPeers.python()] where FileManager.default.isExecutableFile(atPath: candidate) {
            if try await TestProcess.run(candidate, ["-c", "import selenium"]).status == 0 {
                python = candidate
                break
            }
        }
        guard let python else { throw MissingTool(program: "python3 selenium module", package: "python3-selenium") }
        let node = try await WebmailNodeFixture.start(host: "127.0.200.4")
        defer { node.stop() }
        let shots = ProcessInfo.processInfo.environment["SHOAL_WEBMAIL_SCREENSHOTS"] ?? node.base
        let result = try await TestProcess.run(python, [try WebmailNodeFixture.peers.path("webmail_browser.py"), node.url, node.host,
                                                        String(node.imapPort), "127.0.201.4", shots], timeout: 300)
        guard result.status == 0, let facts = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] else {
            Issue.record("webmail_browser.py failed: \(result)\n--- node log\n\(node.child.standardError.suffix(4000))")
            return
        }
        #expect(facts["redirected_to_login"] as? Bool == true)
        #expect(facts["list_url"] as? String == "/mail")
        #expect(facts["cookie_http_only"] as? Bool == true)
        #expect(Set(facts["subjects"] as? [String] ?? []) == ["Hostile canary", "Team lunch"])
        #expect(facts["hostile_text_shown"] as? Bool == true)
        #expect(facts["title_after_hostile"] as? String != "pwned")
        #expect(facts["plain_text_shown"] as? Bool == true)
        #expect(facts["sent_notice"] as? String == "Message sent.")
        #expect(facts["phone_no_horizontal_scroll"] as? Bool == true)
        #expect(facts["signed_out_url"] as? String == "/login")
        #expect(facts["after_sign_out_url"] as? String == "/login")
        #expect(facts["bob_received"] as? Int == 1)
        let attachments = facts["bob_attachments"] as? [[Any]] ?? []
        #expect(attachments.count == 1 && attachments.first?.first as? String == "report.bin" && attachments.first?.last as? Bool == true,
                "the file uploaded in Chromium: \(attachments)")
        #expect(facts["admin_edit_title"] as? String == "User bob")
        #expect(facts["canary_hits"] as? [String] == [], "the hostile message reached the canary: \(facts["canary_hits"] ?? "")")
        for shot in ["signin-desktop", "list-desktop", "read-desktop", "compose-desktop", "list-phone", "read-phone", "admin-desktop", "admin-user-desktop"] {
            #expect(FileManager.default.fileExists(atPath: "\(shots)/\(shot).png"), "\(shot).png")
        }
    }
}
